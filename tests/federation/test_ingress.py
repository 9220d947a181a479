"""Every object is checked again on arrival: provenance, ownership, boundary rules and
the receiving side's agreements; refusals are recorded with their reason."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from accord.db import Database
from accord.federation.ingress import Outcome, ReceiveResult, receive
from accord.federation.models import Direction, ObjectSignature, SyncRefusal, SyncState
from accord.federation.service import end_agreement
from accord.federation.signing import NodeKey, verify_object
from accord.intel.extension import EXTENSION_ID
from accord.intel.models import StixObject
from accord.organizations.models import Node, Organization
from accord.organizations.service import local_node
from accord.sharing.models import SharingGroup
from accord.sharing.tlp import Tlp
from tests.factories import World, indicator, report, stamp
from tests.federation.conftest import Federation, Peer, signed_by, today


def _receive(db: Database, sender: Peer | Node, *objects: dict[str, Any]) -> ReceiveResult:
    node_id = sender.id
    with db.write() as session:
        return receive(session, node_id, list(objects), moment=today())


def _only(result: ReceiveResult) -> tuple[Outcome, str | None]:
    (item,) = result.results
    return item.outcome, item.reason


def _rows(db: Database, stix_id: str) -> list[StixObject]:
    with db.read() as session:
        return list(
            session.scalars(
                select(StixObject).where(StixObject.stix_id == stix_id).order_by(StixObject.pk)
            )
        )


def _ext(**values: Any) -> dict[str, Any]:
    return {"extensions": {EXTENSION_ID: {"extension_type": "property-extension", **values}}}


def test_open_object_is_stored_as_its_owners_and_kept_with_its_signature(
    fed: Federation, world: World
) -> None:
    peer = fed.peer()
    fed.agree(peer)
    obj = signed_by(peer, indicator(tlp=Tlp.GREEN, distribution="open"))
    assert _only(_receive(world.db, peer, obj)) == (Outcome.STORED, None)
    (row,) = _rows(world.db, obj["id"])
    assert (row.owner_org_id, row.origin_node_id, row.distribution) == (
        peer.org.id,
        peer.id,
        "open",
    )
    assert row.published
    assert row.is_latest_published
    with world.db.read() as session:
        kept = session.get(ObjectSignature, (row.stix_id, row.modified))
        assert kept is not None
        state = session.get(SyncState, peer.id)
        assert state is not None
        assert state.received == 1
    relayed = orjson.loads(row.stix)
    relayed["extensions"][EXTENSION_ID] = orjson.loads(kept.extension)
    assert verify_object(relayed, peer.key)  # the origin's signature travels on


def test_receiving_the_same_version_again_changes_nothing(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    obj = signed_by(peer, indicator(distribution="open"))
    _receive(world.db, peer, obj)
    again = _receive(world.db, peer, obj, copy.deepcopy(obj))
    assert [r.outcome for r in again.results] == [Outcome.EXISTS, Outcome.EXISTS]
    assert len(_rows(world.db, obj["id"])) == 1


def test_versions_in_one_page_are_stored_in_order(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    first = indicator(distribution="open")
    second = dict(first, modified=stamp(), name="revised")
    result = _receive(world.db, peer, signed_by(peer, first), signed_by(peer, second))
    assert [r.outcome for r in result.results] == [Outcome.STORED, Outcome.STORED]
    rows = _rows(world.db, first["id"])
    assert [r.is_latest for r in rows] == [False, True]
    assert [r.is_latest_published for r in rows] == [False, True]


def test_forged_signature_is_refused(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    forged = signed_by(peer, indicator(distribution="open"), key=NodeKey.generate())
    outcome, reason = _only(_receive(world.db, peer, forged))
    assert outcome is Outcome.REFUSED
    assert "signature" in (reason or "")
    assert _rows(world.db, forged["id"]) == []


def test_altered_object_is_refused(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    obj = signed_by(peer, indicator(distribution="open"))
    obj["name"] = "something else"
    outcome, reason = _only(_receive(world.db, peer, obj))
    assert outcome is Outcome.REFUSED
    assert "forged or altered" in (reason or "")


def test_widened_distribution_breaks_the_signature(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    obj = signed_by(peer, indicator(distribution="federation"))
    obj["extensions"][EXTENSION_ID]["distribution"] = "open"
    assert _only(_receive(world.db, peer, obj))[0] is Outcome.REFUSED


def test_unsigned_object_is_refused(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    obj = indicator(distribution="open", created_by_ref=f"identity--{peer.org.id}")
    outcome, reason = _only(_receive(world.db, peer, obj))
    assert outcome is Outcome.REFUSED
    assert "unsigned" in (reason or "")


def test_unknown_origin_is_refused(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    stranger = NodeKey.generate()
    obj = signed_by(peer, indicator(distribution="open"), origin=peer.org.id, key=stranger)
    outcome, reason = _only(_receive(world.db, peer, obj))
    assert outcome is Outcome.REFUSED
    assert "unknown origin" in (reason or "")


def test_owner_organization_living_elsewhere_is_refused(fed: Federation, world: World) -> None:
    peer, other = fed.peer(), fed.peer()
    fed.agree(peer)
    local_org = world.org()
    for owner in (other.org, local_org):
        obj = signed_by(peer, indicator(distribution="open"), owner=owner)
        outcome, reason = _only(_receive(world.db, peer, obj))
        assert outcome is Outcome.REFUSED
        assert "does not live on the origin node" in (reason or "")


def test_relayed_object_from_a_known_origin_is_accepted(fed: Federation, world: World) -> None:
    relay, origin = fed.peer(), fed.peer()
    fed.agree(relay)
    obj = signed_by(origin, indicator(distribution="open", tlp=Tlp.AMBER))
    assert _only(_receive(world.db, relay, obj)) == (Outcome.STORED, None)
    (row,) = _rows(world.db, obj["id"])
    assert (row.origin_node_id, row.owner_org_id) == (origin.id, origin.org.id)


@pytest.mark.parametrize(
    ("distribution", "tlp", "words"),
    [
        ("org", Tlp.GREEN, "distribution org never leaves"),
        ("node", Tlp.GREEN, "distribution node never leaves"),
        ("open", Tlp.RED, "TLP:RED never leaves"),
    ],
)
def test_what_never_leaves_never_arrives(
    fed: Federation, world: World, distribution: str, tlp: Tlp, words: str
) -> None:
    peer = fed.peer()
    fed.agree(peer)
    obj = signed_by(peer, indicator(distribution=distribution, tlp=tlp))
    outcome, reason = _only(_receive(world.db, peer, obj))
    assert outcome is Outcome.REFUSED
    assert words in (reason or "")


def test_federation_arrives_as_node_from_its_origin_only(fed: Federation, world: World) -> None:
    relay, origin = fed.peer(), fed.peer()
    fed.agree(relay)
    fed.agree(origin)
    direct = signed_by(origin, indicator(distribution="federation"))
    assert _only(_receive(world.db, origin, direct)) == (Outcome.STORED, None)
    assert _rows(world.db, direct["id"])[0].distribution == "node"
    relayed = signed_by(origin, indicator(distribution="federation"))
    outcome, reason = _only(_receive(world.db, relay, relayed))
    assert outcome is Outcome.REFUSED
    assert "one hop" in (reason or "")


def test_amber_strict_is_taken_from_its_origin_but_not_relayed(
    fed: Federation, world: World
) -> None:
    relay, origin = fed.peer(), fed.peer()
    fed.agree(relay)
    fed.agree(origin)
    direct = signed_by(origin, indicator(distribution="open", tlp=Tlp.AMBER_STRICT))
    assert _only(_receive(world.db, origin, direct))[0] is Outcome.STORED
    relayed = signed_by(origin, indicator(distribution="open", tlp=Tlp.AMBER_STRICT))
    outcome, reason = _only(_receive(world.db, relay, relayed))
    assert outcome is Outcome.REFUSED
    assert "not relayed" in (reason or "")


def test_group_known_here_and_carried_by_this_node(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    group = world.group(world.org(), peer.org)  # the peer's organization makes it a carrier
    obj = signed_by(peer, indicator(distribution="group", sharing_group=group.id))
    assert _only(_receive(world.db, peer, obj)) == (Outcome.STORED, None)
    assert _rows(world.db, obj["id"])[0].sharing_group_id == group.id


def test_unknown_group_is_refused(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    missing = "0f0e0d0c-0b0a-4909-8807-060504030201"
    obj = signed_by(peer, indicator(distribution="group", sharing_group=missing))
    outcome, reason = _only(_receive(world.db, peer, obj))
    assert outcome is Outcome.REFUSED
    assert "unknown sharing group" in (reason or "")


def test_group_not_carried_here_is_refused(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    group = world.group(world.org(), peer.org)
    with world.db.write() as session:
        stored = session.get(SharingGroup, group.id)
        assert stored is not None
        stored.nodes = [n for n in stored.nodes if not n.is_local]
    obj = signed_by(peer, indicator(distribution="group", sharing_group=group.id))
    outcome, reason = _only(_receive(world.db, peer, obj))
    assert outcome is Outcome.REFUSED
    assert "carrier" in (reason or "")


def test_group_is_learned_from_its_signed_definition(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    member = world.org()
    with world.db.read() as session:
        here = local_node(session).id
    group_id = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"
    definition = {
        "name": "Counter-UAV cell",
        "owner_org": peer.org.id,
        "organizations": sorted([peer.org.id, member.id]),
        "nodes": sorted([peer.id, here]),
    }
    obj = signed_by(
        peer,
        indicator(distribution="group", sharing_group=group_id),
        sharing_group_definition=definition,
    )
    assert _only(_receive(world.db, peer, obj)) == (Outcome.STORED, None)
    with world.db.read() as session:
        group = session.get(SharingGroup, group_id)
        assert group is not None
        assert {m.id for m in group.members} == {peer.org.id, member.id}
    elsewhere = dict(definition, nodes=[peer.id])
    other = signed_by(
        peer,
        indicator(distribution="group", sharing_group="2a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"),
        sharing_group_definition=elsewhere,
    )
    assert _only(_receive(world.db, peer, other))[0] is Outcome.REFUSED


@pytest.mark.parametrize(
    ("agreement", "obj", "words"),
    [
        ({}, {"labels": ["x"]}, None),
        ({"direction": Direction.SEND}, {}, "no agreement in force to receive"),
        ({"types": ["report"]}, {}, "type indicator not covered"),
        ({"max_tlp": Tlp.GREEN}, {"tlp": Tlp.AMBER}, "TLP:AMBER above the agreed TLP:GREEN"),
        ({"labels": ["counter-uav"]}, {"labels": ["cbrn"]}, "none of the labels counter-uav"),
        ({"labels": ["counter-uav"]}, {"labels": ["counter-uav"]}, None),
        (
            {
                "valid_from": datetime.now(UTC).date() - timedelta(days=9),
                "valid_until": datetime.now(UTC).date() - timedelta(days=1),
            },
            {},
            "no agreement in force",
        ),
    ],
)
def test_the_receiving_sides_agreement_decides(
    fed: Federation, world: World, agreement: dict[str, Any], obj: dict[str, Any], words: str | None
) -> None:
    peer = fed.peer()
    fed.agree(peer, **agreement)
    sent = signed_by(peer, indicator(distribution="open", **obj))
    outcome, reason = _only(_receive(world.db, peer, sent))
    if words is None:
        assert outcome is Outcome.STORED
    else:
        assert outcome is Outcome.REFUSED
        assert words in (reason or "")


def test_ended_agreement_and_no_agreement_refuse(fed: Federation, world: World) -> None:
    peer = fed.peer()
    outcome, reason = _only(
        _receive(world.db, peer, signed_by(peer, indicator(distribution="open")))
    )
    assert outcome is Outcome.REFUSED
    assert "no agreement in force" in (reason or "")
    agreement = fed.agree(peer)
    with world.db.write() as session:
        end_agreement(session, "test", agreement.id)
    later = signed_by(peer, indicator(distribution="open"))
    with world.db.write() as session:
        result = receive(session, peer.id, [later], moment=datetime.now(UTC) + timedelta(seconds=1))
    assert _only(result)[0] is Outcome.REFUSED


def test_refusals_are_recorded_and_counted_and_the_rest_stored(
    fed: Federation, world: World
) -> None:
    peer = fed.peer()
    fed.agree(peer, types=["indicator"])
    good = signed_by(peer, indicator(distribution="open"))
    red = signed_by(peer, indicator(distribution="open", tlp=Tlp.RED))
    uncovered = signed_by(peer, report([good["id"]], distribution="open"))
    result = _receive(world.db, peer, good, red, uncovered, {"not": "stix"})
    assert [r.outcome for r in result.results] == [
        Outcome.STORED,
        Outcome.REFUSED,
        Outcome.REFUSED,
        Outcome.REFUSED,
    ]
    with world.db.read() as session:
        refusals = {r.object_id: r.reason for r in session.scalars(select(SyncRefusal))}
        state = session.get(SyncState, peer.id)
        stored = session.scalar(select(func.count()).select_from(StixObject))
    assert refusals[red["id"]] == "TLP:RED never leaves its node"
    assert "type report not covered" in refusals[uncovered["id"]]
    assert state is not None
    assert (state.received, state.refused) == (1, 3)
    assert stored == 1


def test_new_owner_organization_is_learned_from_its_signed_profile(
    fed: Federation, world: World
) -> None:
    peer = fed.peer()
    fed.agree(peer)
    newcomer = "5b6c7d8e-9f00-4a1b-8c2d-3e4f5a6b7c8d"
    profile = {"name": "Partner border guard", "country": "XS", "kind": "partner"}
    unknown = signed_by(
        peer,
        indicator(distribution="open", created_by_ref=f"identity--{newcomer}"),
        owner_org=newcomer,
    )
    outcome, reason = _only(_receive(world.db, peer, unknown))
    assert outcome is Outcome.REFUSED
    assert reason == f"unknown owner organization {newcomer}"
    clash = signed_by(
        peer,
        indicator(distribution="open", created_by_ref=f"identity--{newcomer}"),
        owner_org=newcomer,
        owner_profile=dict(profile, name=peer.org.name),
    )
    outcome, reason = _only(_receive(world.db, peer, clash))
    assert outcome is Outcome.REFUSED
    assert "exists here already" in (reason or "")
    known = signed_by(
        peer,
        indicator(distribution="open", created_by_ref=f"identity--{newcomer}"),
        owner_org=newcomer,
        owner_profile=profile,
    )
    assert _only(_receive(world.db, peer, known)) == (Outcome.STORED, None)
    with world.db.read() as session:
        org = session.get(Organization, newcomer)
        assert org is not None
        assert (org.name, org.node_id) == ("Partner border guard", peer.id)


def test_malformed_arrivals_are_refused_one_by_one(fed: Federation, world: World) -> None:
    peer = fed.peer()
    fed.agree(peer)
    huge = signed_by(peer, indicator(distribution="open"))
    huge["x_count"] = 2**60  # beyond the integers RFC 8785 can represent
    listed = indicator(distribution="open", extensions=["not", "an", "object"])
    good = signed_by(peer, indicator(distribution="open"))
    result = _receive(world.db, peer, huge, listed, good)
    assert [r.outcome for r in result.results] == [
        Outcome.REFUSED,
        Outcome.REFUSED,
        Outcome.STORED,
    ]
    assert "canonical" in (result.results[0].reason or "")
    assert "unsigned" in (result.results[1].reason or "")
