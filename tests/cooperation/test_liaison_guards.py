"""Liaison objects are written by the liaison module alone: REST /api/v1/objects, TAXII
POST, file import and revocation through the generic path are refused with a reason
naming /api/v1/liaison, so nobody bypasses the channel's rules (members, recipients,
receipts, owners) by writing the objects directly. Signed objects from peer nodes still
arrive (federation ingress checks them by its own rules)."""

# ruff: noqa: F811  (pytest fixtures imported from liaison_fixtures are parameters here)

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from accord.cooperation import liaison
from accord.cooperation.types import CONTACT, new_sdo_extension
from accord.db import Database
from accord.federation.ingress import Outcome, receive
from accord.intel import guards
from accord.intel.ingest import Status, WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.taxii.service import ensure_default_collection
from tests.cooperation.liaison_fixtures import (  # noqa: F401  (fixtures)
    Staffs,
    ack,
    ok,
    open_channel,
    rest,
    send,
    staffs,
)
from tests.factories import World, indicator, stamp
from tests.federation.conftest import Federation, signed_by, today
from tests.taxii.support import Node

TYPES = (
    "x-accord-channel",
    "x-accord-message",
    "x-accord-receipt",
    "x-accord-contact",
    "x-accord-consultation",
)


def count(db: Database, *types: str) -> int:
    with db.read() as session:
        found = session.scalar(
            select(func.count()).select_from(StixObject).where(StixObject.type.in_(types))
        )
    return int(found or 0)


def current(db: Database, stix_type: str) -> dict[str, Any]:
    with db.read() as session:
        row = session.scalars(
            select(StixObject).where(StixObject.type == stix_type, StixObject.is_latest.is_(True))
        ).first()
        assert row is not None, stix_type
        return dict(orjson.loads(row.stix))


def copy_of(obj: dict[str, Any], *, new_id: bool) -> dict[str, Any]:
    """The same object as a new one (another id) or as its next version."""
    obj = dict(obj)
    later = stamp(datetime.now(UTC) + timedelta(milliseconds=5))
    if new_id:
        obj["id"] = f"{obj['type']}--{uuid.uuid4()}"
        obj["created"] = later
    obj["modified"] = later
    return obj


@pytest.fixture
def written(rest: httpx.Client, db: Database, staffs: Staffs) -> dict[str, dict[str, Any]]:
    """One object of each liaison type, written the right way (the liaison REST API)."""
    channel = open_channel(rest, staffs.a, staffs.b_org.id)
    message = ok(send(rest, staffs.a, channel["id"], "Dates?"), 201)
    ok(ack(rest, staffs.b, message["id"]))
    ok(
        rest.post(
            "/liaison/contacts",
            json={"name": "Col. Verin", "function": "Liaison officer"},
            headers=staffs.a.headers,
        ),
        201,
    )
    ok(
        rest.post(
            f"/liaison/channels/{channel['id']}/consultations",
            json={
                "name": "Monthly talks",
                "start_time": "2026-05-04T09:00:00Z",
                "duration_minutes": 60,
                "frequency": "monthly",
            },
            headers=staffs.a.headers,
        ),
        201,
    )
    return {t: current(db, t) for t in TYPES}


def test_the_guard_table_names_every_liaison_type() -> None:
    for stix_type in TYPES:
        assert guards.GUARDS[stix_type] == ("accord.cooperation.liaison:write_guard",)
        assert guards._guard(stix_type) is liaison.write_guard
    assert set(TYPES) == set(liaison.LIAISON_TYPES)


@pytest.mark.parametrize("new_id", [True, False], ids=["new-object", "new-version"])
def test_rest_objects_refuses_liaison_types(
    rest: httpx.Client,
    db: Database,
    staffs: Staffs,
    written: dict[str, dict[str, Any]],
    new_id: bool,
) -> None:
    before = count(db, *TYPES)
    for stix_type, obj in written.items():
        writer = staffs.b if stix_type == "x-accord-receipt" else staffs.a
        response = rest.post(
            "/objects",
            params={"distribution": "node"},
            json={
                "type": "bundle",
                "id": f"bundle--{uuid.uuid4()}",
                "objects": [copy_of(obj, new_id=new_id)],
            },
            headers=writer.headers,
        )
        assert response.status_code == 422, (stix_type, response.text)
        assert f"{stix_type} objects are written through /api/v1/liaison" in response.text
    assert count(db, *TYPES) == before


def test_a_bundle_with_one_liaison_object_stores_nothing(
    rest: httpx.Client, db: Database, staffs: Staffs, written: dict[str, dict[str, Any]]
) -> None:
    good = indicator()
    response = rest.post(
        "/objects",
        json={
            "type": "bundle",
            "id": f"bundle--{uuid.uuid4()}",
            "objects": [good, copy_of(written["x-accord-message"], new_id=True)],
        },
        headers=staffs.a.headers,
    )
    assert response.status_code == 422
    assert "x-accord-message objects are written through /api/v1/liaison" in response.text
    assert count(db, "indicator") == 0


def test_generic_revocation_of_a_liaison_object_is_refused(
    rest: httpx.Client, db: Database, staffs: Staffs, written: dict[str, dict[str, Any]]
) -> None:
    message = written["x-accord-message"]
    response = rest.post(f"/objects/{message['id']}/revoke", headers=staffs.a.headers)
    assert response.status_code == 422, response.text
    assert "x-accord-message objects are written through /api/v1/liaison" in response.text
    assert count(db, "x-accord-message") == 1
    # The liaison module's own withdrawal still works.
    contact = written["x-accord-contact"]
    gone = rest.delete(f"/liaison/contacts/{contact['id']}", headers=staffs.a.headers)
    assert gone.status_code == 204
    assert count(db, "x-accord-contact") == 2


def test_taxii_post_refuses_liaison_types(
    rest: httpx.Client,
    client: httpx.Client,
    world: World,
    db: Database,
    staffs: Staffs,
    written: dict[str, dict[str, Any]],
) -> None:
    with db.write() as session:
        default_id = ensure_default_collection(session).id
    base = str(client.base_url).removesuffix("/").removesuffix("/api/v1")
    taxii = httpx.Client(base_url=base, timeout=60)
    node = Node(world, taxii, default_id)
    before = count(db, *TYPES)
    for stix_type in ("x-accord-channel", "x-accord-message", "x-accord-contact"):
        response = node.post(staffs.a, default_id, [copy_of(written[stix_type], new_id=True)])
        assert response.status_code == 202, response.text
        status = response.json()
        assert (status["success_count"], status["failure_count"]) == (0, 1), status
        assert status["failures"][0]["message"] == (
            f"{stix_type} objects are written through /api/v1/liaison"
        )
    taxii.close()
    assert count(db, *TYPES) == before


def test_import_is_refused_and_the_module_writes(
    world: World, db: Database, staffs: Staffs, written: dict[str, dict[str, Any]]
) -> None:
    obj = copy_of(written["x-accord-consultation"], new_id=True)
    principal = world.refresh(staffs.a).principal  # now in the channel's group
    with db.write() as session:
        result = ingest(session, principal, [obj], WriteDefaults())  # as `accord import` does
        assert [(r.status, r.reason) for r in result.results] == [
            (Status.REFUSED, "x-accord-consultation objects are written through /api/v1/liaison")
        ]
        session.rollback()
    assert count(db, "x-accord-consultation") == 1
    with db.write() as session:  # as the liaison module writes, after its own checks
        assert ingest(session, principal, [obj], WriteDefaults(by_module=True)).ok
    assert count(db, "x-accord-consultation") == 2


def test_signed_liaison_objects_from_a_peer_still_arrive(world: World, db: Database) -> None:
    fed = Federation(world)
    peer = fed.peer()
    fed.agree(peer, types=("x-accord-contact",))
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    contact = {
        "type": CONTACT,
        "spec_version": "2.1",
        "id": f"{CONTACT}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": "Lt. Col. Orsk",
        "function": "Liaison officer of the partner staff",
        "extensions": {**new_sdo_extension(CONTACT)},
    }
    sent = signed_by(peer, contact, distribution="open")
    with db.write() as session:
        result = receive(session, peer.id, [sent], moment=today())
    assert [(r.outcome, r.reason) for r in result.results] == [(Outcome.STORED, None)]
    assert count(db, CONTACT) == 1
