"""REST /api/v1/liaison: two staffs open a channel, exchange, reply and acknowledge;
reminders of what is unacknowledged (REST and `accord liaison reminders`)."""

# ruff: noqa: F811  (pytest fixtures imported from liaison_fixtures are parameters here)

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_instance

from accord.audit.models import AuditEntry
from accord.cooperation.types import MESSAGE, new_sdo_extension
from accord.db import Database
from accord.intel.extension import EXTENSION_ID
from accord.intel.ingest import WriteDefaults, ingest
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
from tests.factories import Account, World, indicator, sid, stamp

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = ValidationOptions(version="2.1")


def stored(db: Database, stix_id: str) -> StixObject:
    with db.read() as session:
        return session.scalars(
            select(StixObject).where(StixObject.stix_id == stix_id, StixObject.is_latest.is_(True))
        ).one()


def test_two_staffs_exchange_and_acknowledge(
    rest: httpx.Client, world: World, db: Database, staffs: Staffs
) -> None:
    a, b = staffs.a, staffs.b
    a_id, b_id = staffs.a_org.id, staffs.b_org.id
    channel = open_channel(rest, a, "General Staff of Belvania", tlp="amber")
    assert channel["owner"] == a_id
    assert channel["members"] == [a_id, b_id]
    assert channel["tlp"] == "TLP:AMBER"
    with db.read() as session:
        group = session.get(SharingGroup, channel["sharing_group"])
        assert group is not None
        assert sorted(o.id for o in group.members) == sorted([a_id, b_id])
    assert [c["id"] for c in ok(rest.get("/liaison/channels", headers=b.headers))] == [
        channel["id"]
    ]

    # A sends a message with an attachment it shares with the node.
    shared = indicator()
    assert world.ingest(a, shared, distribution=Distribution.NODE).ok
    sent = ok(
        send(
            rest,
            a,
            channel["id"],
            "Please confirm the exercise dates.\nDetails attached.",
            subject="Exercise Northern Shield",
            attachments=[shared["id"]],
        ),
        201,
    )
    assert sent["sender"] == a_id
    assert sent["attachments"] == [shared["id"]]
    assert sent["recipients"] == [
        {"organization": b_id, "acknowledged": False, "acknowledged_at": None}
    ]
    assert sent["unacknowledged"] == [b_id]

    # The message is a valid STIX object shared exactly with the channel's group.
    row = stored(db, sent["id"])
    assert (row.distribution, row.sharing_group_id) == ("group", channel["sharing_group"])
    obj = orjson.loads(row.stix)
    assert obj["channel_ref"] == channel["id"]
    assert obj["recipient_refs"] == [f"identity--{b_id}"]
    assert obj["extensions"][EXTENSION_ID]["sharing_group"] == channel["sharing_group"]
    assert validate_instance(obj, OPTIONS).is_valid

    # B reads it, acknowledges it (twice: the second changes nothing) and replies.
    (seen,) = ok(rest.get(f"/liaison/channels/{channel['id']}/messages", headers=b.headers))
    assert seen["body"].startswith("Please confirm")
    acked = ok(ack(rest, b, sent["id"]))
    assert acked["unacknowledged"] == []
    (receipt,) = acked["recipients"]
    assert receipt["organization"] == b_id
    assert receipt["acknowledged"] is True
    assert ok(ack(rest, b, sent["id"]))["recipients"] == [receipt]
    with db.read() as session:
        receipts = session.scalars(select(StixObject).where(StixObject.type == "x-accord-receipt"))
        assert [r.owner_org_id for r in receipts] == [b_id]
    reply = ok(
        send(rest, b, channel["id"], "Confirmed: 14 to 18 April.", in_reply_to=sent["id"]), 201
    )
    assert reply["in_reply_to"] == sent["id"]
    assert reply["unacknowledged"] == [a_id]

    # A sees the thread in order, with who has acknowledged what.
    thread = ok(rest.get(f"/liaison/channels/{channel['id']}/messages", headers=a.headers))
    assert [m["id"] for m in thread] == [sent["id"], reply["id"]]
    assert thread[0]["unacknowledged"] == []
    assert thread[1]["unacknowledged"] == [a_id]
    ok(ack(rest, a, reply["id"]))
    single = ok(rest.get(f"/liaison/messages/{reply['id']}", headers=b.headers))
    assert single["recipients"][0]["organization"] == a_id
    assert single["recipients"][0]["acknowledged"] is True

    with db.read() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.startswith("liaison."))
                .order_by(AuditEntry.seq)
            )
        )
    assert actions == [
        "liaison.channel.create",
        "liaison.message.post",
        "liaison.message.acknowledge",
        "liaison.message.post",
        "liaison.message.acknowledge",
    ]


def test_a_channel_of_three_addresses_everyone_or_some(rest: httpx.Client, staffs: Staffs) -> None:
    channel = open_channel(rest, staffs.a, staffs.b_org.id, staffs.c_org.name)
    assert sorted(channel["members"]) == sorted([staffs.a_org.id, staffs.b_org.id, staffs.c_org.id])
    to_all = ok(send(rest, staffs.a, channel["id"], "To both staffs."), 201)
    assert sorted(to_all["unacknowledged"]) == sorted([staffs.b_org.id, staffs.c_org.id])
    ok(ack(rest, staffs.c, to_all["id"]))
    assert ok(rest.get(f"/liaison/messages/{to_all['id']}", headers=staffs.a.headers))[
        "unacknowledged"
    ] == [staffs.b_org.id]
    to_b = ok(
        send(rest, staffs.a, channel["id"], "Only for Belvania.", recipients=[staffs.b_org.name]),
        201,
    )
    assert [r["organization"] for r in to_b["recipients"]] == [staffs.b_org.id]


def _old_message(world: World, sender: Account, channel: dict[str, Any], to: str) -> str:
    """A message sent two days ago, as another node would deliver it."""
    sent = stamp(datetime.now(UTC) - timedelta(days=2))
    obj = {
        "type": MESSAGE,
        "spec_version": "2.1",
        "id": sid(MESSAGE),
        "created": sent,
        "modified": sent,
        "created_by_ref": f"identity--{sender.user.org_id}",
        "channel_ref": channel["id"],
        "content": "Monthly situation report received?",
        "recipient_refs": [f"identity--{to}"],
        "extensions": {
            EXTENSION_ID: {
                "extension_type": "property-extension",
                "distribution": "group",
                "sharing_group": channel["sharing_group"],
            },
            **new_sdo_extension(MESSAGE),
        },
    }
    # Written as the liaison module writes (its write guard refuses every other path).
    with world.db.write() as session:
        result = ingest(
            session, world.refresh(sender).principal, [obj], WriteDefaults(by_module=True)
        )
    assert result.ok, result.results
    return str(obj["id"])


def test_reminders_list_what_is_unacknowledged_after_a_time(
    rest: httpx.Client, world: World, staffs: Staffs, database_url: str
) -> None:
    channel = open_channel(rest, staffs.a, staffs.b_org.id)
    old = _old_message(world, staffs.a, channel, staffs.b_org.id)
    fresh = ok(send(rest, staffs.a, channel["id"], "Sent just now."), 201)

    def overdue(older_than: str, who: Account = staffs.a) -> list[str]:
        found = ok(
            rest.get(
                "/liaison/unacknowledged", params={"older_than": older_than}, headers=who.headers
            )
        )
        return [m["id"] for m in found]

    assert overdue("PT24H") == [old]
    assert overdue("P1D", staffs.b) == [old]
    assert overdue("P3D") == []
    assert fresh["id"] not in overdue("P1DT1H")

    env = {**os.environ, "ACCORD_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "accord", "liaison", "reminders", "--as", staffs.a.user.email]
    run = subprocess.run(
        [*command, "--older-than", "PT24H"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.splitlines()
    fields = line.split("\t")
    assert fields[1:] == [
        channel["name"],
        old,
        "Monthly situation report received?",
        staffs.b_org.name,
    ]
    assert "1 message(s)" in run.stderr

    # Once acknowledged it is no longer a reminder.
    ok(ack(rest, staffs.b, old))
    assert overdue("PT24H") == []
    bad = subprocess.run(
        [*command, "--older-than", "tomorrow"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "error: 'tomorrow' is not an ISO 8601 duration such as PT24H, P2D or P1W"
    )
