"""Agreements decide what may cross, per direction, type, TLP, label and date."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import httpx
import pytest

from accord.errors import Invalid
from accord.federation.models import Direction
from accord.federation.service import (
    PeerInfo,
    RemoteOrg,
    add_agreement,
    add_peer,
    end_agreement,
    issue_node_key,
    refusal,
)
from accord.federation.signing import NodeKey
from accord.organizations.models import Node, Organization
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.factories import World, indicator, report

NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _peer(world: World, key: NodeKey | None = None) -> tuple[Node, PeerInfo]:
    key = key or NodeKey.generate()
    info = PeerInfo(
        id=str(uuid.uuid4()),
        name=f"partner-{uuid.uuid4().hex[:6]}",
        public_key=key.public_text(),
        organizations=[
            RemoteOrg(str(uuid.uuid4()), f"Partner staff {uuid.uuid4().hex[:4]}", "XS", "partner")
        ],
    )
    with world.db.write() as session:
        node = add_peer(session, "test", info, "http://127.0.0.1:9/", "acc_x", key.fingerprint())
    return node, info


def test_peer_with_matching_fingerprint_brings_its_organizations(world: World) -> None:
    node, info = _peer(world)
    with world.db.read() as session:
        org = session.get(Organization, info.organizations[0].id)
        assert org is not None
        assert org.node_id == node.id
        assert not org.is_local


def test_peer_with_another_fingerprint_is_refused(world: World) -> None:
    info = PeerInfo(str(uuid.uuid4()), "impostor", NodeKey.generate().public_text(), [])
    with world.db.write() as session, pytest.raises(Invalid, match="fingerprint"):
        add_peer(
            session, "test", info, "http://127.0.0.1:9/", "acc_x", NodeKey.generate().fingerprint()
        )


def test_refusal_reasons(world: World) -> None:
    node, _ = _peer(world)
    with world.db.write() as session:
        send = add_agreement(
            session,
            "test",
            node,
            max_tlp=Tlp.AMBER,
            types=["indicator", "report"],
            labels=["counter-uav"],
            direction=Direction.SEND,
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
        )
        agreements = [send]
        assert (
            refusal(agreements, NOON, Direction.SEND, "indicator", int(Tlp.GREEN), ["counter-uav"])
            is None
        )
        assert "type note" in str(
            refusal(agreements, NOON, Direction.SEND, "note", 0, ["counter-uav"])
        )
        assert "above the agreed" in str(
            refusal(
                agreements,
                NOON,
                Direction.SEND,
                "indicator",
                int(Tlp.AMBER_STRICT),
                ["counter-uav"],
            )
        )
        assert "labels" in str(refusal(agreements, NOON, Direction.SEND, "indicator", 0, ["x"]))
        assert "no agreement in force to receive" in str(
            refusal(agreements, NOON, Direction.RECEIVE, "indicator", 0, ["counter-uav"])
        )
        later = datetime(2027, 1, 1, tzinfo=UTC)
        assert "no agreement in force" in str(
            refusal(agreements, later, Direction.SEND, "indicator", 0, ["counter-uav"])
        )
        end_agreement(session, "test", send.id)
        assert "no agreement in force" in str(
            refusal(agreements, datetime.now(UTC), Direction.SEND, "indicator", 0, ["counter-uav"])
        )


@pytest.mark.parametrize(
    ("tlp", "types", "start", "end", "says"),
    [
        (Tlp.RED, ["report"], date(2026, 1, 1), date(2026, 2, 1), "TLP:RED never leaves"),
        (Tlp.AMBER, [], date(2026, 1, 1), date(2026, 2, 1), "name the object types"),
        (Tlp.AMBER, ["report"], date(2026, 2, 1), date(2026, 1, 1), "ends before it begins"),
    ],
)
def test_bad_agreements_are_refused(
    world: World, tlp: Tlp, types: list[str], start: date, end: date, says: str
) -> None:
    node, _ = _peer(world)
    with world.db.write() as session, pytest.raises(Invalid, match=says):
        add_agreement(
            session,
            "test",
            node,
            max_tlp=tlp,
            types=types,
            direction=Direction.BOTH,
            valid_from=start,
            valid_until=end,
        )


def test_a_node_key_reads_only_what_may_leave(world: World, client: httpx.Client) -> None:
    node, _ = _peer(world)
    alice = world.account(world.org())
    shared = {dist: indicator() for dist in ("org", "node", "federation", "open")}
    for dist, obj in shared.items():
        assert world.ingest(alice, obj, distribution=Distribution(dist)).ok
    red = indicator(tlp=Tlp.RED)
    draft = indicator()
    assert world.ingest(alice, red, distribution=Distribution.OPEN).ok
    assert world.ingest(
        alice, draft, report([draft["id"]]), distribution=Distribution.OPEN, published=False
    ).ok
    with world.db.write() as session:
        secret = issue_node_key(session, "test", session.get(Node, node.id))  # type: ignore[arg-type]
    seen = client.get("/api/v1/objects", headers={"Authorization": f"Bearer {secret}"})
    assert seen.status_code == 200
    assert {o["id"] for o in seen.json()["objects"]} == {
        shared["federation"]["id"],
        shared["open"]["id"],
    }
