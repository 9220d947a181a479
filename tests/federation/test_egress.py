"""What may leave for a peer: the boundary rules for its node principal, then the
agreements in force; the Python decision and the SQL listing agree."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from accord.db import Database
from accord.federation.egress import outgoing_json, sending_condition, sending_refusal, serve
from accord.federation.ingress import Outcome, receive
from accord.federation.models import Direction, ObjectSignature
from accord.federation.service import end_agreement
from accord.federation.signing import verify_object
from accord.identity.models import Role
from accord.intel.extension import EXTENSION_ID
from accord.intel.models import StixObject
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator, report
from tests.federation.conftest import Federation, Peer, signed_by, today


def _row(db: Database, stix_id: str) -> StixObject:
    with db.read() as session:
        row = session.scalars(
            select(StixObject).where(StixObject.stix_id == stix_id, StixObject.is_latest)
        ).one()
        session.expunge(row)
        return row


def _decision(db: Database, peer: Peer, stix_id: str, moment: datetime | None = None) -> str | None:
    """The Python refusal, checked against the SQL condition for the same moment."""
    moment = moment or today()
    row = _row(db, stix_id)
    with db.read() as session:
        reason = sending_refusal(session, peer.id, row, moment)
        listed = session.scalars(
            select(StixObject.pk).where(
                StixObject.pk == row.pk, sending_condition(session, peer.id, moment)
            )
        ).first()
    assert (listed is not None) == (reason is None), reason
    return reason


def _write(world: World, account: Account, obj: dict[str, Any], **kw: Any) -> str:
    result = world.ingest(account, obj, **kw)
    assert result.ok, result.results
    return str(obj["id"])


@pytest.fixture
def analyst(world: World) -> Account:
    return world.account(world.org(), Role.ANALYST)


GROUP_CARRIED, GROUP_ELSEWHERE = "group-carried", "group-elsewhere"
DISTRIBUTIONS = ["org", "node", "federation", "open", GROUP_CARRIED, GROUP_ELSEWHERE]


def test_boundary_rules_for_every_distribution_tlp_and_draft_state(
    fed: Federation, world: World
) -> None:
    peer, elsewhere = fed.peer(), fed.peer()
    fed.agree(peer, Direction.SEND)
    own = world.org()
    carried = world.group(own, peer.org)
    other = world.group(own, elsewhere.org)
    analyst = world.account(own, Role.ANALYST)
    cases = list(itertools.product(DISTRIBUTIONS, list(Tlp), [True, False]))
    for distribution, tlp, published in cases:
        group = {GROUP_CARRIED: carried.id, GROUP_ELSEWHERE: other.id}.get(distribution)
        dist = "group" if group else distribution
        obj = indicator(tlp=tlp, distribution=dist, sharing_group=group)
        stix_id = _write(world, analyst, obj, published=published)
        may_go = (
            published
            and tlp is not Tlp.RED
            and distribution in ("federation", "open", GROUP_CARRIED)
        )
        reason = _decision(world.db, peer, stix_id)
        assert (reason is None) == may_go, (distribution, tlp, published, reason)


@pytest.mark.parametrize(
    ("agreement", "obj", "words"),
    [
        ({}, {}, None),
        ({"direction": Direction.RECEIVE}, {}, "no agreement in force to send"),
        ({"types": ["report"]}, {}, "type indicator not covered"),
        ({"max_tlp": Tlp.GREEN}, {"tlp": Tlp.AMBER}, "above the agreed TLP:GREEN"),
        ({"max_tlp": Tlp.GREEN}, {"tlp": Tlp.CLEAR}, None),
        ({"labels": ["counter-uav"]}, {"labels": ["cbrn"]}, "none of the labels"),
        ({"labels": ["counter-uav"]}, {"labels": ["cbrn", "counter-uav"]}, None),
    ],
)
def test_agreement_limits(
    fed: Federation,
    world: World,
    analyst: Account,
    agreement: dict[str, Any],
    obj: dict[str, Any],
    words: str | None,
) -> None:
    peer = fed.peer()
    fed.agree(peer, **agreement)
    stix_id = _write(world, analyst, indicator(distribution="open", **obj))
    reason = _decision(world.db, peer, stix_id)
    if words is None:
        assert reason is None
    else:
        assert words in (reason or "")


def test_agreement_dates_and_ending(fed: Federation, world: World, analyst: Account) -> None:
    peer = fed.peer()
    day = today().date()
    agreement = fed.agree(
        peer, valid_from=day + timedelta(days=1), valid_until=day + timedelta(days=2)
    )
    stix_id = _write(world, analyst, indicator(distribution="open"))
    assert "no agreement in force" in (_decision(world.db, peer, stix_id) or "")
    assert _decision(world.db, peer, stix_id, today() + timedelta(days=1)) is None
    assert "no agreement" in (_decision(world.db, peer, stix_id, today() + timedelta(days=3)) or "")
    with world.db.write() as session:
        end_agreement(session, "test", agreement.id)
    later = today() + timedelta(days=1)
    assert "no agreement in force" in (_decision(world.db, peer, stix_id, later) or "")


def test_no_agreement_no_crossing(fed: Federation, world: World, analyst: Account) -> None:
    peer = fed.peer()
    stix_id = _write(world, analyst, indicator(distribution="open"))
    assert "no agreement in force" in (_decision(world.db, peer, stix_id) or "")


def _relay(fed: Federation, world: World, origin: Peer, obj: dict[str, Any]) -> str:
    with world.db.write() as session:
        result = receive(session, origin.id, [signed_by(origin, obj)], moment=today())
    assert result.results[0].outcome is Outcome.STORED, result.results[0].reason
    return str(obj["id"])


def test_relayed_objects(fed: Federation, world: World) -> None:
    origin, peer = fed.peer(), fed.peer()
    fed.agree(origin)
    fed.agree(peer)
    amber = _relay(fed, world, origin, indicator(distribution="open", tlp=Tlp.AMBER))
    strict = _relay(fed, world, origin, indicator(distribution="open", tlp=Tlp.AMBER_STRICT))
    federation = _relay(fed, world, origin, indicator(distribution="federation"))
    assert _decision(world.db, peer, amber) is None
    assert "not relayed" in (_decision(world.db, peer, strict) or "")
    assert "never leaves" in (_decision(world.db, peer, federation) or "")  # arrived as node
    assert _decision(world.db, origin, amber) == "the object comes from that node"


def test_travelling_form_is_signed_and_kept(fed: Federation, world: World) -> None:
    origin, peer = fed.peer(), fed.peer()
    fed.agree(origin)
    own = world.org()
    group = world.group(own, peer.org)
    analyst = world.account(own, Role.ANALYST)
    grouped = _write(
        world,
        analyst,
        indicator(distribution="group", sharing_group=group.id),
        distribution=Distribution.GROUP,
    )
    mine = _write(world, analyst, report([grouped], distribution="open", tlp=Tlp.GREEN))
    relayed = _relay(fed, world, origin, indicator(distribution="open"))
    rows = {stix_id: _row(world.db, stix_id) for stix_id in (grouped, mine, relayed)}
    texts = serve(world.db, [row.pk for row in rows.values()])
    sent = {stix_id: orjson.loads(texts[row.pk]) for stix_id, row in rows.items()}
    for stix_id in (grouped, mine):
        ext = sent[stix_id]["extensions"][EXTENSION_ID]
        assert ext["owner_org"] == own.id
        assert verify_object(sent[stix_id], fed.key)
    definition = sent[grouped]["extensions"][EXTENSION_ID]["sharing_group_definition"]
    assert peer.id in definition["nodes"]
    assert peer.org.id in definition["organizations"]
    assert verify_object(sent[relayed], origin.key)
    assert not verify_object(sent[relayed], fed.key)
    with world.db.read() as session:
        kept = set(session.scalars(select(ObjectSignature.stix_id)))
        assert kept == {grouped, mine, relayed}
        again = outgoing_json(session, [row.pk for row in rows.values()])
    assert again.fresh == {}  # signed once per version
    assert {pk: orjson.loads(t) for pk, t in again.texts.items()} == {
        rows[s].pk: sent[s] for s in sent
    }


def test_changed_group_definition_is_signed_again(fed: Federation, world: World) -> None:
    peer, later = fed.peer(), fed.peer()
    own = world.org()
    group = world.group(own, peer.org)
    analyst = world.account(own, Role.ANALYST)
    stix_id = _write(
        world,
        analyst,
        indicator(distribution="group", sharing_group=group.id),
        distribution=Distribution.GROUP,
    )
    pk = _row(world.db, stix_id).pk
    before = orjson.loads(serve(world.db, [pk])[pk])
    with world.db.write() as session:
        stored = session.get(SharingGroup, group.id)
        assert stored is not None
        stored.members = [*stored.members, later.org]
    after = orjson.loads(serve(world.db, [pk])[pk])
    assert (
        later.org.id
        in after["extensions"][EXTENSION_ID]["sharing_group_definition"]["organizations"]
    )
    assert before != after
    assert verify_object(after, fed.key)
