"""What was not sent because the sending policy did not allow it is sent once the
policy widens without a new agreement: an agreement comes into force, a sharing group
gains a member organization living on the peer. Nothing changed, or only narrowed: no
start over. Two nodes, each with its own database and live server; A is this test's
`world`, B the `peer_world`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.db import Database
from accord.db.base import utcnow
from accord.federation import egress
from accord.federation import sync as sync_module
from accord.federation.egress import NO_AGREEMENT
from accord.federation.models import Agreement, SyncRefusal, SyncState
from accord.federation.service import end_agreement
from accord.federation.sync import push
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Node, Organization
from accord.sharing.distribution import Distribution
from accord.sharing.service import add_member, remove_member
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator
from tests.federation.conftest import Federation, link, today

NOT_CARRIED = "the sharing group does not name that node as a carrier"


def _linked(
    world: World, live_url: str, peer_world: World, peer_url: str, **a_agreement: Any
) -> Node:
    """A and B as peers, B with an organization of its own; A's agreement with B as
    given, B's receiving everything; B's node at A."""
    Federation(world)
    peer_world.org()  # A learns it in the handshake
    b_at_a, a_at_b = link(world, live_url, peer_world, peer_url)
    with world.db.read() as session:
        node_b = session.get(Node, b_at_a)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    assert node_b is not None
    Federation(world).agree(node_b, **a_agreement)
    Federation(peer_world).agree(node_a, types=["indicator", "report"])
    return node_b


def _write(world: World, account: Account, obj: dict[str, Any], **kw: Any) -> str:
    result = world.ingest(account, obj, **kw)
    assert result.ok, result.results
    return str(obj["id"])


def _state(db: Database, node_id: str) -> SyncState:
    with db.read() as session:
        state = session.get(SyncState, node_id)
        assert state is not None
        session.expunge(state)
        return state


def _copies(db: Database, stix_id: str) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).where(StixObject.stix_id == stix_id)) or 0)


def _listed(db: Database, node_id: str) -> set[str]:
    with db.read() as session:
        return set(
            session.scalars(select(SyncRefusal.object_id).where(SyncRefusal.node_id == node_id))
        )


@pytest.fixture
def own(world: World) -> Organization:
    return world.org()


@pytest.fixture
def analyst(world: World, own: Organization) -> Account:
    return world.account(own, Role.ANALYST)


@pytest.fixture
def resets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The peers whose push and review were started over, in order."""
    seen: list[str] = []
    real = sync_module.reset_sending

    def spy(session: Any, state: SyncState) -> None:
        seen.append(state.node_id)
        real(session, state)

    monkeypatch.setattr(sync_module, "reset_sending", spy)
    return seen


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The sync runs as if it were `moment` (the peer keeps its own clock)."""
    monkeypatch.setattr(sync_module, "utcnow", lambda: moment)


def test_an_agreement_coming_into_force_sends_what_it_now_allows_once(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    analyst: Account,
    monkeypatch: pytest.MonkeyPatch,
    resets: list[str],
) -> None:
    tomorrow = today().date() + timedelta(days=1)
    node_b = _linked(
        world,
        live_url,
        peer_world,
        peer_url,
        valid_from=tomorrow,
        valid_until=tomorrow + timedelta(days=5),
    )
    waiting = _write(world, analyst, indicator(distribution="open"))
    before = push(world.db, node_b.id)
    assert before.error is None
    assert before.sent == 0
    assert before.withheld_reasons == {NO_AGREEMENT: 1}
    state = _state(world.db, node_b.id)
    assert state.withheld == 1
    assert state.review_cursor is not None
    assert state.send_policy == {"agreements": {}, "groups": []}
    assert _copies(peer_world.db, waiting) == 0

    _at(monkeypatch, utcnow() + timedelta(days=1))
    resets.clear()
    after = push(world.db, node_b.id)
    assert after.error is None
    assert after.sent == 1
    assert after.withheld_reasons == {}
    assert resets == [node_b.id]
    state = _state(world.db, node_b.id)
    assert (state.withheld, state.withheld_reasons) == (0, {})
    assert state.send_policy is not None
    assert list(state.send_policy["agreements"]) != []
    assert _copies(peer_world.db, waiting) == 1

    # Exactly once: the next round neither starts over nor sends it again.
    resets.clear()
    again = push(world.db, node_b.id)
    assert (again.error, again.sent, again.withheld) == (None, 0, 0)
    assert resets == []
    assert _copies(peer_world.db, waiting) == 1


def test_a_group_gaining_the_peers_organization_sends_its_objects(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    own: Organization,
    resets: list[str],
) -> None:
    node_b = _linked(world, live_url, peer_world, peer_url)
    group = world.group(own, nodes=[])  # carried by A alone
    admin = world.account(own, Role.ORG_ADMIN)
    grouped = _write(
        world,
        admin,
        indicator(distribution="group", sharing_group=group.id),
        distribution=Distribution.GROUP,
    )
    first = push(world.db, node_b.id)
    assert first.error is None
    assert first.sent == 0
    assert first.withheld_reasons == {NOT_CARRIED: 1}
    assert _listed(world.db, node_b.id) == {grouped}
    assert _copies(peer_world.db, grouped) == 0

    with world.db.write() as session:
        (remote,) = session.scalars(
            select(Organization).where(Organization.node_id == node_b.id)
        ).all()
        add_member(session, admin.principal, group.id, remote)  # its node becomes a carrier
    resets.clear()
    done = push(world.db, node_b.id)
    assert done.error is None
    assert done.sent == 1
    assert done.withheld_reasons == {}
    assert resets == [node_b.id]
    assert _listed(world.db, node_b.id) == set()
    assert _state(world.db, node_b.id).withheld == 0
    assert _copies(peer_world.db, grouped) == 1
    assert _state(world.db, node_b.id).send_policy == {
        "agreements": _state(world.db, node_b.id).send_policy["agreements"],  # type: ignore[index]
        "groups": [group.id],
    }


def test_nothing_changed_or_only_narrowed_does_not_start_over(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    own: Organization,
    analyst: Account,
    monkeypatch: pytest.MonkeyPatch,
    resets: list[str],
) -> None:
    node_b = _linked(world, live_url, peer_world, peer_url, max_tlp=Tlp.GREEN)
    sent = _write(world, analyst, indicator(distribution="open"))
    amber = _write(world, analyst, indicator(distribution="open", tlp=Tlp.AMBER))
    first = push(world.db, node_b.id)
    assert (first.error, first.sent, first.withheld) == (None, 1, 1)
    state = _state(world.db, node_b.id)
    cursors = (state.push_cursor, state.review_cursor)
    assert None not in cursors
    resets.clear()

    pages: list[int] = []
    real = egress.review_page

    def spy(*args: Any, **kw: Any) -> tuple[int | None, list[egress.Withheld]]:
        pages.append(args[2])
        return real(*args, **kw)

    monkeypatch.setattr(egress, "review_page", spy)
    unchanged = push(world.db, node_b.id)
    assert (unchanged.error, unchanged.sent, unchanged.withheld) == (None, 0, 0)
    assert resets == []
    assert pages == []  # nothing changed: nothing looked at again
    state = _state(world.db, node_b.id)
    assert (state.push_cursor, state.review_cursor) == cursors
    assert state.withheld == 1

    # Only narrowing: a group that does not reach B, then the agreement ends. Nothing
    # new may go, so nothing starts over; the policy seen is updated.
    world.group(own, nodes=[])
    with world.db.write() as session:
        (made,) = session.scalars(select(Agreement).where(Agreement.node_id == node_b.id))
        end_agreement(session, "test", made.id)
    ended = push(world.db, node_b.id)
    assert ended.error is None
    assert resets == []
    state = _state(world.db, node_b.id)
    assert (state.push_cursor, state.review_cursor, state.withheld) == (*cursors, 1)
    assert state.send_policy == {"agreements": {}, "groups": []}
    assert _copies(peer_world.db, sent) == 1
    assert _copies(peer_world.db, amber) == 0


def test_removing_a_member_keeps_its_node_a_carrier_so_nothing_starts_over(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    own: Organization,
    resets: list[str],
) -> None:
    node_b = _linked(world, live_url, peer_world, peer_url)
    admin = world.account(own, Role.ORG_ADMIN)
    with world.db.read() as session:
        remote = session.scalars(
            select(Organization).where(Organization.node_id == node_b.id)
        ).one()
        session.expunge(remote)
    group = world.group(own, remote)
    push(world.db, node_b.id)
    assert _state(world.db, node_b.id).send_policy["groups"] == [group.id]  # type: ignore[index]
    with world.db.write() as session:
        fresh = session.get(Organization, remote.id)
        assert fresh is not None
        remove_member(session, admin.principal, group.id, fresh)
    # Removing a member leaves its node a carrier: the policy for B is the same.
    resets.clear()
    push(world.db, node_b.id)
    assert resets == []


def test_widens() -> None:
    base = {"agreements": {"a": [2, ["indicator"], []]}, "groups": ["g"]}
    assert egress.widens(None, base)
    assert not egress.widens(base, base)
    assert not egress.widens(base, {"agreements": {}, "groups": []})
    assert egress.widens(base, {**base, "groups": ["g", "h"]})
    assert egress.widens(base, {**base, "agreements": {"a": [3, ["indicator"], []]}})
    assert egress.widens(base, {**base, "agreements": {"b": [0, ["report"], []]}})


def test_an_unknown_policy_starts_over_once(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    analyst: Account,
    resets: list[str],
) -> None:
    """After the upgrade that adds it, no peer's policy is known: offer all once."""
    node_b = _linked(world, live_url, peer_world, peer_url)
    sent = _write(world, analyst, indicator(distribution="open"))
    assert push(world.db, node_b.id).sent == 1
    with world.db.write() as session:
        state = session.get(SyncState, node_b.id)
        assert state is not None
        state.send_policy = None
    resets.clear()
    done = push(world.db, node_b.id)
    assert resets == [node_b.id]
    assert done.error is None
    assert done.sent == 0  # B answers `exists`: nothing twice
    assert _copies(peer_world.db, sent) == 1
    assert _state(world.db, node_b.id).push_cursor is not None
