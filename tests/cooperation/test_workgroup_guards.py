"""The working group's rules hold on every write path, not only on /api/v1/workgroup.

Issues and sessions written directly (REST objects, TAXII POST, `accord import`) are
refused with a reason naming the working-group endpoint, whoever writes them (the chair
included); support and comments on an issue written as plain `opinion` / `note` objects
are refused too, so a vote from a non-member never lands. Nothing is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from accord.cooperation.types import AGENDA_ITEM, WG_SESSION, new_sdo_extension
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.models import StixObject
from accord.organizations.service import find_organization
from accord.taxii.service import ensure_default_collection
from tests.cli.support import ANN, Cli, cli, pg_database, ready
from tests.cooperation.conftest import Cast
from tests.cooperation.test_workgroup_api import ok, propose
from tests.factories import Account, World, indicator, stamp

__all__ = ["cli", "pg_database", "ready"]  # the CLI fixtures, used by the import test

TAXII = "application/taxii+json;version=2.1"
ENDPOINT = "/api/v1/workgroup"


def _stored(world: World) -> int:
    with world.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(StixObject)) or 0)


def _object(stix_type: str, owner: str, **props: Any) -> dict[str, Any]:
    now = stamp()
    obj: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": f"identity--{owner}",
        "extensions": {EXTENSION_ID: sharing_extension("node", None)},
        **props,
    }
    if stix_type in (AGENDA_ITEM, WG_SESSION):
        obj["extensions"].update(new_sdo_extension(stix_type))
    return obj


def _issue(who: Account, **extra: Any) -> dict[str, Any]:
    return _object(
        AGENDA_ITEM,
        who.user.org_id,
        name="Written around the working group",
        status="accepted",
        proposed_by_ref=f"identity--{who.user.org_id}",
        **extra,
    )


def _session(who: Account) -> dict[str, Any]:
    return _object(WG_SESSION, who.user.org_id, name="Secret session", start_time=stamp())


def _opinion(who: Account, item_id: str) -> dict[str, Any]:
    return _object("opinion", who.user.org_id, opinion="strongly-agree", object_refs=[item_id])


def _note(who: Account, item_id: str) -> dict[str, Any]:
    return _object("note", who.user.org_id, content="Decided already.", object_refs=[item_id])


def _refused_rest(api: httpx.Client, who: Account, obj: dict[str, Any], words: str) -> None:
    response = api.post("/objects", json=obj, headers=who.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["refused"] == 1, body
    reason = body["results"][0]["reason"]
    assert words in reason, reason
    assert ENDPOINT in reason, reason


@pytest.fixture
def taxii(world: World, workgroup_url: str) -> Iterator[tuple[httpx.Client, str]]:
    with world.db.write() as session:
        default_id = ensure_default_collection(session).id
    with httpx.Client(base_url=workgroup_url, timeout=60) as client:
        yield client, f"/taxii2/accord/collections/{default_id}/objects/"


def test_rest_objects_cannot_write_issues_sessions_or_votes(
    api: httpx.Client, world: World, cast: Cast
) -> None:
    item = propose(api, cast.a, "Border drone reporting")
    before = _stored(world)
    # Not the chair, and not even the chair, may write an issue or session directly.
    for who in (cast.chair, cast.a):
        _refused_rest(api, who, _issue(who), "agenda issues are written through")
        _refused_rest(api, who, _session(who), "working-group sessions are written through")
    # A new version of the real issue from the chair, skipping the steps: refused.
    with world.db.read() as session:
        row = session.scalars(select(StixObject).where(StixObject.stix_id == item["id"])).one()
        current = orjson.loads(row.stix)
    jumped = {**current, "modified": stamp(), "status": "withdrawn"}
    _refused_rest(api, cast.chair, jumped, "agenda issues are written through")
    # Votes and comments as plain objects: from a non-member, a member and the chair alike.
    for who in (cast.partner, cast.observer_org, cast.b, cast.chair):
        _refused_rest(api, who, _opinion(who, item["id"]), "support for an agenda issue")
        _refused_rest(api, who, _note(who, item["id"]), "comments on an agenda issue")
    assert _stored(world) == before
    seen = ok(api.get(f"/workgroup/items/{item['id']}", headers=cast.a.headers))
    assert (seen["status"], seen["support"]) == ("proposed", [])


def test_opinions_and_notes_on_other_objects_still_pass(
    api: httpx.Client, world: World, cast: Cast
) -> None:
    target = indicator()
    ok(api.post("/objects", json=target, headers=cast.partner.headers), 201)
    for obj in (_opinion(cast.partner, target["id"]), _note(cast.partner, target["id"])):
        ok(api.post("/objects", json=obj, headers=cast.partner.headers), 201)


def test_the_working_group_itself_still_writes(api: httpx.Client, cast: Cast) -> None:
    item = propose(api, cast.a, "Joint terminology")
    supported = ok(
        api.put(
            f"/workgroup/items/{item['id']}/support",
            json={"opinion": "agree"},
            headers=cast.b.headers,
        )
    )
    assert supported["score"] == 1
    ok(
        api.post(
            f"/workgroup/items/{item['id']}/comments", json={"text": "Yes"}, headers=cast.b.headers
        ),
        201,
    )
    moved = api.post(
        f"/workgroup/items/{item['id']}/moves", json={"to": "accepted"}, headers=cast.chair.headers
    )
    assert ok(moved)["status"] == "accepted"


def test_taxii_post_cannot_write_issues_sessions_or_votes(
    api: httpx.Client, world: World, cast: Cast, taxii: tuple[httpx.Client, str]
) -> None:
    client, objects_path = taxii
    item = propose(api, cast.a, "Shared exercise calendar")
    before = _stored(world)
    cases = [
        (cast.chair, _issue(cast.chair), "agenda issues are written through"),
        (cast.chair, _session(cast.chair), "working-group sessions are written through"),
        (cast.partner, _opinion(cast.partner, item["id"]), "support for an agenda issue"),
        (cast.b, _note(cast.b, item["id"]), "comments on an agenda issue"),
    ]
    for who, obj, words in cases:
        response = client.post(
            objects_path,
            content=orjson.dumps({"objects": [obj]}),
            headers={**who.headers, "Accept": TAXII, "Content-Type": TAXII},
        )
        assert response.status_code == 202, response.text
        status = response.json()
        assert (status["success_count"], status["failure_count"]) == (0, 1), status
        message = status["failures"][0]["message"]
        assert words in message, message
        assert ENDPOINT in message, message
    assert _stored(world) == before


def test_import_cannot_write_issues_sessions_or_votes(ready: Cli) -> None:
    with ready.db() as db, db.read() as session:
        north = find_organization(session, "Northern Staff").identity_id
    before = ready.counts()
    issue = _bare(AGENDA_ITEM, name="Imported issue", status="accepted", proposed_by_ref=north)
    for objects, words in [
        ([issue], ["agenda issues are written through"]),
        ([_bare(WG_SESSION, name="Imported session", start_time=stamp())], ["sessions are"]),
        (
            [issue, _bare("opinion", opinion="agree", object_refs=[issue["id"]])],
            ["agenda issues are written through", "support for an agenda issue"],
        ),
    ]:
        bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
        run = ready.run(
            "import", ready.file("bundle.json", bundle), "--as", ANN, "--distribution", "node"
        )
        assert "nothing was imported" in run.error, run
        for expected in words:
            assert expected in run.stderr, run.stderr
        assert ENDPOINT in run.stderr, run.stderr
    assert ready.counts() == before


def _bare(stix_type: str, **props: Any) -> dict[str, Any]:
    """An object with no owner or sharing: the importing user's organization, --distribution."""
    now = stamp()
    obj: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        **props,
    }
    if stix_type in (AGENDA_ITEM, WG_SESSION):
        obj["extensions"] = new_sdo_extension(stix_type)
    return obj


def test_federation_still_accepts_signed_issues_and_votes_from_a_peer(world: World) -> None:
    """A peer's working group is its own business: its signed issues, sessions and
    opinions arrive through the checked ingress, which the write guards do not apply to."""
    from accord.federation.ingress import Outcome as Arrival
    from accord.federation.ingress import receive
    from tests.federation.conftest import Federation, signed_by, today

    fed = Federation(world)
    peer = fed.peer()
    fed.agree(peer, types=[AGENDA_ITEM, WG_SESSION, "opinion"])
    owner = peer.org.id
    item = _object(
        AGENDA_ITEM,
        owner,
        name="A peer's agenda issue",
        status="proposed",
        proposed_by_ref=f"identity--{owner}",
    )
    objects = [
        item,
        _object(WG_SESSION, owner, name="A peer's session", start_time=stamp()),
        _object("opinion", owner, opinion="agree", object_refs=[item["id"]]),
    ]
    for obj in objects:
        obj["extensions"][EXTENSION_ID] = sharing_extension("open", None)
    signed = [signed_by(peer, obj) for obj in objects]
    with world.db.write() as session:
        result = receive(session, peer.id, signed, moment=today())
    assert [(r.outcome, r.reason) for r in result.results] == [(Arrival.STORED, None)] * 3
    with world.db.read() as session:
        stored = set(session.scalars(select(StixObject.stix_id)))
    assert {obj["id"] for obj in objects} <= stored
