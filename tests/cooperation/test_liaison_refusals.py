"""Bad liaison input gets a clear 4xx and changes nothing: no object, no group, no audit."""

# ruff: noqa: F811  (pytest fixtures imported from liaison_fixtures are parameters here)

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEntry
from accord.db import Database
from accord.intel.models import StixObject
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from tests.cooperation.liaison_fixtures import (  # noqa: F401  (fixtures)
    Staffs,
    ack,
    ok,
    open_channel,
    rest,
    send,
    staffs,
)
from tests.factories import World, indicator, sid


def _state(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(StixObject)) or 0,
            session.scalar(select(func.count()).select_from(SharingGroup)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.text, response.text


@pytest.fixture
def channel(rest: httpx.Client, staffs: Staffs) -> dict[str, Any]:
    return open_channel(rest, staffs.a, staffs.b_org.id)


def test_a_channel_with_an_unknown_organization_is_refused(
    rest: httpx.Client, db: Database, staffs: Staffs
) -> None:
    before = _state(db)
    body = {"name": "Talks", "members": [staffs.b_org.id, "Ministry of Nowhere"]}
    _refused(
        rest.post("/liaison/channels", json=body, headers=staffs.a.headers),
        422,
        "unknown organization 'Ministry of Nowhere'",
    )
    alone = {"name": "Talks", "members": [staffs.a_org.name]}
    _refused(
        rest.post("/liaison/channels", json=alone, headers=staffs.a.headers),
        422,
        "at least one other",
    )
    _refused(
        rest.post("/liaison/channels", json={**body, "members": []}, headers=staffs.a.headers),
        422,
        "",
    )
    _refused(
        rest.post(
            "/liaison/channels",
            json={"name": "Talks", "members": [staffs.b_org.id]},
            headers=staffs.b_observer.headers,
        ),
        403,
        "your role may not write",
    )
    assert _state(db) == before


def test_a_message_to_an_organization_outside_the_channel_is_refused(
    rest: httpx.Client, db: Database, staffs: Staffs, channel: dict[str, Any]
) -> None:
    before = _state(db)
    cid = channel["id"]
    _refused(
        send(rest, staffs.a, cid, "Hello", recipients=[staffs.c_org.name]),
        422,
        f"{staffs.c_org.name} is not a member of this channel",
    )
    _refused(
        send(rest, staffs.a, cid, "Hello", recipients=["Ministry of Nowhere"]),
        422,
        "unknown organization",
    )
    _refused(
        send(rest, staffs.a, cid, "Hello", recipients=[staffs.a_org.id]),
        422,
        "the sender, not a recipient",
    )
    _refused(send(rest, staffs.a, cid, "Hello", recipients=[]), 422, "at least one recipient")
    _refused(send(rest, staffs.a, cid, ""), 422, "")
    _refused(send(rest, staffs.b_observer, cid, "Hello"), 403, "your role may not write")
    _refused(send(rest, staffs.c, cid, "Hello"), 404, f"no liaison channel {cid}")
    assert _state(db) == before


def test_attachments_the_sender_cannot_see_are_refused_alike(
    rest: httpx.Client, world: World, db: Database, staffs: Staffs, channel: dict[str, Any]
) -> None:
    hidden = indicator()
    assert world.ingest(staffs.c, hidden, distribution=Distribution.ORG).ok
    missing = sid("indicator")
    before = _state(db)
    answers = [
        send(rest, staffs.a, channel["id"], "See attached", attachments=[ref]).json()["detail"]
        for ref in (hidden["id"], missing)
    ]
    assert answers == [f"unknown attachment {hidden['id']}", f"unknown attachment {missing}"]
    _refused(send(rest, staffs.a, channel["id"], "x", attachments=["not-an-id"]), 422, "")
    assert _state(db) == before


def test_acknowledgement_only_by_a_recipient(
    rest: httpx.Client, db: Database, staffs: Staffs
) -> None:
    three = open_channel(rest, staffs.a, staffs.b_org.id, staffs.c_org.id)
    to_b = ok(send(rest, staffs.a, three["id"], "For Belvania", recipients=[staffs.b_org.id]), 201)
    before = _state(db)
    _refused(ack(rest, staffs.c, to_b["id"]), 403, "not a recipient")
    _refused(ack(rest, staffs.a, to_b["id"]), 403, "not a recipient")  # the sender
    _refused(ack(rest, staffs.b_observer, to_b["id"]), 403, "your role may not write")
    _refused(ack(rest, staffs.a, sid("x-accord-message")), 404, "no liaison message")
    assert _state(db) == before


def test_a_reply_stays_in_its_channel(
    rest: httpx.Client, db: Database, staffs: Staffs, channel: dict[str, Any]
) -> None:
    other = open_channel(rest, staffs.a, staffs.c_org.id, name="Aldoria-Corvana talks")
    first = ok(send(rest, staffs.a, other["id"], "In the other channel"), 201)
    before = _state(db)
    _refused(
        send(rest, staffs.a, channel["id"], "Re", in_reply_to=first["id"]),
        422,
        "stays in the channel",
    )
    # B cannot see the other channel's message: it does not exist for B.
    _refused(
        send(rest, staffs.b, channel["id"], "Re", in_reply_to=first["id"]),
        404,
        f"no liaison message {first['id']}",
    )
    assert _state(db) == before


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"until": "2026-01-01T00:00:00Z"}, "until must not be earlier than start_time"),
        ({"participants": ["Defence Staff of Corvana"]}, "is not a member of this channel"),
        ({"participants": ["Ministry of Nowhere"]}, "unknown organization"),
        ({"frequency": "daily"}, ""),
        ({"interval": 0}, ""),
        ({"duration_minutes": 0}, ""),
        ({"start_time": "2026-03-01T10:00:00"}, ""),  # no time zone
    ],
)
def test_bad_consultations_are_refused(
    rest: httpx.Client,
    db: Database,
    staffs: Staffs,
    channel: dict[str, Any],
    change: dict[str, Any],
    words: str,
) -> None:
    body = {
        "name": "Monthly staff consultation",
        "start_time": "2026-03-02T09:00:00Z",
        "duration_minutes": 90,
        "frequency": "monthly",
        **change,
    }
    before = _state(db)
    response = rest.post(
        f"/liaison/channels/{channel['id']}/consultations", json=body, headers=staffs.a.headers
    )
    _refused(response, 422, words)
    assert _state(db) == before


@pytest.mark.parametrize("older_than", ["tomorrow", "P", "PT", "24H", "P1Y"])
def test_a_bad_reminder_age_is_refused(rest: httpx.Client, staffs: Staffs, older_than: str) -> None:
    response = rest.get(
        "/liaison/unacknowledged", params={"older_than": older_than}, headers=staffs.a.headers
    )
    _refused(response, 422, "is not an ISO 8601 duration")


def test_bad_points_of_contact_are_refused(
    rest: httpx.Client, db: Database, staffs: Staffs
) -> None:
    before = _state(db)
    base = {"name": "Col. Irina Vask", "function": "Liaison officer"}
    for change in (
        {"email": "not an address"},
        {"phone": "call me"},
        {"distribution": "group"},
        {"name": ""},
        {"ssn": "123"},
    ):
        response = rest.post("/liaison/contacts", json={**base, **change}, headers=staffs.a.headers)
        assert response.status_code == 422, (change, response.text)
    _refused(
        rest.post("/liaison/contacts", json=base, headers=staffs.b_observer.headers),
        403,
        "your role may not write",
    )
    _refused(
        rest.get("/liaison/contacts", params={"organization": "Nowhere"}, headers=staffs.a.headers),
        422,
        "unknown organization",
    )
    assert _state(db) == before
