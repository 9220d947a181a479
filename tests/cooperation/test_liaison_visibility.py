"""A liaison channel is shared with exactly its member organizations: for anyone else
it does not exist, in lists, counts, calendars and errors alike; federation carries it
to remote members' nodes and no further."""

# ruff: noqa: F811  (pytest fixtures imported from liaison_fixtures are parameters here)

from __future__ import annotations

import httpx
from sqlalchemy import select

from accord.identity.service import principal_for_node
from accord.intel.models import StixObject
from accord.organizations.models import Node
from accord.sharing.rules import can_see
from tests.cooperation.liaison_fixtures import (  # noqa: F401  (fixtures)
    Staffs,
    ack,
    ok,
    open_channel,
    rest,
    send,
    staffs,
)
from tests.factories import World, sid

LIAISON_TYPES = [
    "x-accord-channel",
    "x-accord-message",
    "x-accord-receipt",
    "x-accord-consultation",
]


def test_an_organization_outside_the_channel_sees_nothing(
    rest: httpx.Client, staffs: Staffs
) -> None:
    channel = open_channel(rest, staffs.a, staffs.b_org.id)
    cid = channel["id"]
    message = ok(send(rest, staffs.a, cid, "Border incident on 3 March"), 201)
    ok(ack(rest, staffs.b, message["id"]))
    consultation = {
        "name": "Weekly staff call",
        "start_time": "2026-03-02T09:00:00Z",
        "duration_minutes": 60,
        "frequency": "weekly",
    }
    ok(
        rest.post(
            f"/liaison/channels/{cid}/consultations", json=consultation, headers=staffs.a.headers
        ),
        201,
    )
    outsider = staffs.c.headers

    # Lists and counts.
    assert ok(rest.get("/liaison/channels", headers=outsider)) == []
    unacked = rest.get("/liaison/unacknowledged", params={"older_than": "PT0S"}, headers=outsider)
    assert ok(unacked) == []
    for stix_type in LIAISON_TYPES:
        listed = ok(rest.get("/objects", params={"type": stix_type}, headers=outsider))
        assert listed["objects"] == [], stix_type
        seen = ok(rest.get("/objects", params={"type": stix_type}, headers=staffs.b.headers))
        assert len(seen["objects"]) == 1, stix_type
    calendar = rest.get("/liaison/consultations.ics", headers=outsider)
    assert calendar.status_code == 200
    assert "BEGIN:VEVENT" not in calendar.text
    assert "BEGIN:VEVENT" in rest.get("/liaison/consultations.ics", headers=staffs.b.headers).text

    # Errors: the same 404 as for what does not exist at all.
    ghost_channel, ghost_message = sid("x-accord-channel"), sid("x-accord-message")
    for real, ghost, path in (
        (cid, ghost_channel, "/liaison/channels/{}"),
        (cid, ghost_channel, "/liaison/channels/{}/messages"),
        (cid, ghost_channel, "/liaison/channels/{}/consultations"),
        (cid, ghost_channel, "/liaison/channels/{}/consultations.ics"),
        (message["id"], ghost_message, "/liaison/messages/{}"),
        (message["id"], ghost_message, "/objects/{}"),
    ):
        hidden = rest.get(path.format(real), headers=outsider)
        missing = rest.get(path.format(ghost), headers=outsider)
        assert hidden.status_code == missing.status_code == 404, path
        assert hidden.json()["detail"].replace(real, ghost) == missing.json()["detail"], path
    hidden_ack = ack(rest, staffs.c, message["id"])
    missing_ack = ack(rest, staffs.c, ghost_message)
    assert hidden_ack.status_code == missing_ack.status_code == 404
    assert (
        hidden_ack.json()["detail"].replace(message["id"], ghost_message)
        == missing_ack.json()["detail"]
    )
    hidden_post = send(rest, staffs.c, cid, "Let me in")
    assert hidden_post.status_code == 404
    assert hidden_post.json()["detail"] == f"no liaison channel {cid}"
    assert "Border incident" not in hidden_post.text

    # The channel's sharing group does not exist for the outsider either.
    group = rest.get(f"/sharing-groups/{channel['sharing_group']}", headers=outsider)
    assert group.status_code == 404
    assert ok(rest.get(f"/sharing-groups/{channel['sharing_group']}", headers=staffs.b.headers))


def test_federation_carries_a_channel_to_remote_members_only(
    rest: httpx.Client, world: World, staffs: Staffs
) -> None:
    remote_node = world.node("peer-belvania")
    other_node = world.node("peer-elsewhere")
    remote = world.org("Belvanian Liaison Office", node_id=remote_node.id)
    channel = open_channel(rest, staffs.a, staffs.b_org.id, remote.id)
    with world.db.read() as session:
        row = session.scalars(select(StixObject).where(StixObject.stix_id == channel["id"])).one()
        carriers = {
            name: principal_for_node(session, node, world.local_node_id)
            for name, node in (
                ("remote", session.get(Node, remote_node.id)),
                ("other", session.get(Node, other_node.id)),
            )
            if node is not None
        }
    assert can_see(carriers["remote"], row)
    assert not can_see(carriers["other"], row)
