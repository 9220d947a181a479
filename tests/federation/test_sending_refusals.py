"""What the sending rules keep from a peer is reported with its reason, never silently
dropped: counted per reason in the peer's sync status (REST and command line), listed
one by one but for `org`/`node` versions and "no agreement in force", checked once per
version on what changed since the last check. Two nodes, each with its own database and
live server; A is this test's `world`, B the `peer_world`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from accord.db import Database
from accord.federation import egress
from accord.federation import sync as sync_module
from accord.federation.egress import NO_AGREEMENT, NO_SIGNATURE, PEER_REFUSED
from accord.federation.ingress import Outcome, receive
from accord.federation.models import Agreement, Direction, ObjectSignature, SyncRefusal, SyncState
from accord.federation.models import Peer as PeerRow
from accord.federation.service import end_agreement, remove_peer
from accord.federation.sync import pull, push, review
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Node, Organization
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.cli.support import Cli
from tests.factories import Account, World, indicator, report, stamp
from tests.federation.conftest import Federation, link, signed_by, today

ORG = "distribution org never leaves its node"
NODE = "distribution node never leaves its node"
RED = "TLP:RED never leaves its node"
NOT_CARRIED = "the sharing group does not name that node as a carrier"
STRICT = "TLP:AMBER+STRICT is not relayed by a receiving node"


def _linked(
    world: World, live_url: str, peer_world: World, peer_url: str, **a_agreement: Any
) -> tuple[Node, str]:
    """A and B as peers; A's agreement with B as given (none if `a_agreement` is
    `{"none": True}`), B's receiving everything; returns (B's node at A, A's id at B)."""
    Federation(world)
    b_at_a, a_at_b = link(world, live_url, peer_world, peer_url)
    with world.db.read() as session:
        node_b = session.get(Node, b_at_a)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    assert node_b is not None
    if not a_agreement.pop("none", False):
        Federation(world).agree(node_b, **a_agreement)
    Federation(peer_world).agree(node_a, types=["indicator", "report"])
    return node_b, a_at_b


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


def _listed(db: Database, node_id: str, direction: Direction = Direction.SEND) -> dict[str, str]:
    with db.read() as session:
        rows = session.execute(
            select(SyncRefusal.object_id, SyncRefusal.reason).where(
                SyncRefusal.node_id == node_id, SyncRefusal.direction == direction.value
            )
        ).all()
    return {str(object_id): str(reason) for object_id, reason in rows}


def _ids(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(StixObject.stix_id)))


@pytest.fixture
def own(world: World) -> Organization:
    return world.org()


@pytest.fixture
def analyst(world: World, own: Organization) -> Account:
    return world.account(own, Role.ANALYST)


def test_every_boundary_rule_is_counted_and_the_meaningful_ones_listed(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    own: Organization,
    analyst: Account,
    client: httpx.Client,
) -> None:
    node_b, _ = _linked(world, live_url, peer_world, peer_url)
    elsewhere = world.group(own, nodes=[])
    carried = world.group(own, nodes=[node_b])
    analyst = world.account(own, Role.ANALYST)  # a member of both groups
    sent = {
        _write(world, analyst, indicator(distribution="open")),
        _write(
            world,
            analyst,
            indicator(distribution="group", sharing_group=carried.id),
            distribution=Distribution.GROUP,
        ),
    }
    org = _write(world, analyst, indicator(distribution="org"))
    node = _write(world, analyst, indicator(distribution="node"))
    red = _write(world, analyst, indicator(distribution="open", tlp=Tlp.RED))
    grouped = _write(
        world,
        analyst,
        indicator(distribution="group", sharing_group=elsewhere.id),
        distribution=Distribution.GROUP,
    )
    draft = _write(world, analyst, indicator(distribution="open"), published=False)
    # What B itself sent is not withheld from it: it has it.
    b_analyst = peer_world.account(peer_world.org(), Role.ANALYST)
    from_b = _write(peer_world, b_analyst, indicator(distribution="open"))
    assert pull(world.db, node_b.id).received == 1

    done = push(world.db, node_b.id)
    assert done.error is None
    assert done.sent == 2
    assert _ids(peer_world.db) == sent | {from_b}
    counts = {ORG: 1, NODE: 1, RED: 1, NOT_CARRIED: 1}
    assert done.withheld_reasons == counts
    state = _state(world.db, node_b.id)
    assert (state.withheld, state.withheld_reasons) == (4, counts)
    listed = _listed(world.db, node_b.id)
    assert listed == {red: RED, grouped: NOT_CARRIED}  # org and node only counted
    assert org not in listed
    assert node not in listed
    assert draft not in listed
    assert draft not in _ids(peer_world.db)

    admin = world.account(world.org(), Role.ADMIN)
    nodes = client.get("/api/v1/nodes", headers=admin.headers)
    assert nodes.status_code == 200, nodes.text
    (entry,) = [n for n in nodes.json() if n["id"] == node_b.id]
    assert entry["sync"]["withheld"] == {"total": 4, "by_reason": counts}
    assert entry["sync"]["sent"] == 2
    url = f"/api/v1/nodes/{node_b.id}/refusals"
    sending = client.get(url, params={"side": "sending"}, headers=admin.headers).json()
    assert {r["object_id"]: r["reason"] for r in sending["refusals"]} == listed
    assert {r["side"] for r in sending["refusals"]} == {"sending"}
    receiving = client.get(url, params={"side": "receiving"}, headers=admin.headers).json()
    assert receiving["refusals"] == []
    both = client.get(url, headers=admin.headers).json()
    assert len(both["refusals"]) == 2
    bad = client.get(url, params={"side": "sideways"}, headers=admin.headers)
    assert bad.status_code == 422
    # An analyst sees none of it.
    assert client.get(url, headers=analyst.headers).status_code == 403


def test_relayed_versions(
    world: World, live_url: str, peer_world: World, peer_url: str, fed: Federation
) -> None:
    node_b, _ = _linked(world, live_url, peer_world, peer_url)
    origin = fed.peer()  # C: connected to A only
    fed.agree(origin, Direction.RECEIVE)
    relayed = {
        "strict": indicator(distribution="open", tlp=Tlp.AMBER_STRICT),
        "federation": indicator(distribution="federation"),  # stored here as node
        "unsigned": indicator(distribution="open"),
    }
    with world.db.write() as session:
        result = receive(
            session, origin.id, [signed_by(origin, o) for o in relayed.values()], moment=today()
        )
    assert [r.outcome for r in result.results] == [Outcome.STORED] * 3
    with world.db.write() as session:
        session.execute(
            delete(ObjectSignature).where(ObjectSignature.stix_id == relayed["unsigned"]["id"])
        )
    done = push(world.db, node_b.id)
    assert done.error is None
    assert done.sent == 0
    assert done.withheld_reasons == {STRICT: 1, NODE: 1, NO_SIGNATURE: 1}
    assert _listed(world.db, node_b.id) == {
        relayed["strict"]["id"]: STRICT,
        relayed["unsigned"]["id"]: NO_SIGNATURE,
    }
    # Nothing of C's travelled to B, and C itself has nothing withheld: it had nothing.
    assert _ids(peer_world.db) == set()


TOMORROW = today().date() + timedelta(days=1)
LAST_MONTH = today().date() - timedelta(days=30)


@pytest.mark.parametrize(
    ("agreement", "obj", "reason", "listed"),
    [
        ({"types": ["report"]}, {}, "type indicator not covered", True),
        ({"max_tlp": Tlp.GREEN}, {"tlp": Tlp.AMBER}, "TLP:AMBER above the agreed TLP:GREEN", True),
        (
            {"labels": ["counter-uav"]},
            {"labels": ["cbrn"]},
            "none of the labels counter-uav",
            True,
        ),
        ({"direction": Direction.RECEIVE}, {}, NO_AGREEMENT, False),
        ({"valid_from": TOMORROW, "valid_until": TOMORROW}, {}, NO_AGREEMENT, False),
        (
            {"valid_from": LAST_MONTH, "valid_until": LAST_MONTH + timedelta(days=1)},
            {},
            NO_AGREEMENT,
            False,
        ),
        ({"end": True}, {}, NO_AGREEMENT, False),
        ({"none": True}, {}, NO_AGREEMENT, False),
    ],
)
def test_every_agreement_limit(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    analyst: Account,
    agreement: dict[str, Any],
    obj: dict[str, Any],
    reason: str,
    listed: bool,
) -> None:
    agreement = dict(agreement)
    end = agreement.pop("end", False)
    node_b, _ = _linked(world, live_url, peer_world, peer_url, **agreement)
    if end:
        with world.db.write() as session:
            (made,) = session.scalars(select(Agreement).where(Agreement.node_id == node_b.id))
            end_agreement(session, "test", made.id)
    kept = _write(world, analyst, indicator(distribution="open", **obj))
    done = push(world.db, node_b.id)
    assert done.error is None
    assert done.sent == 0
    assert done.withheld_reasons == {reason: 1}
    assert _state(world.db, node_b.id).withheld_reasons == {reason: 1}
    assert _listed(world.db, node_b.id) == ({kept: reason} if listed else {})
    assert _ids(peer_world.db) == set()


def test_what_the_peer_refuses_when_pushed_is_reported_with_its_reason(
    world: World, live_url: str, peer_world: World, peer_url: str, analyst: Account
) -> None:
    Federation(world)
    b_at_a, a_at_b = link(world, live_url, peer_world, peer_url)
    with world.db.read() as session:
        node_b = session.get(Node, b_at_a)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    assert node_b is not None
    Federation(world).agree(node_b)
    Federation(peer_world).agree(node_a, max_tlp=Tlp.GREEN)  # B takes less than A sends
    amber = _write(world, analyst, indicator(distribution="open", tlp=Tlp.AMBER))
    done = push(world.db, b_at_a)
    assert done.error is None
    assert done.sent == 0
    assert done.withheld_reasons == {PEER_REFUSED: 1}
    assert _listed(world.db, b_at_a) == {
        amber: "the peer refused it: TLP:AMBER above the agreed TLP:GREEN"
    }
    assert _listed(peer_world.db, a_at_b, Direction.RECEIVE) == {
        amber: "TLP:AMBER above the agreed TLP:GREEN"
    }


def test_each_version_is_checked_once_and_only_what_changed(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    analyst: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node_b, _ = _linked(world, live_url, peer_world, peer_url, max_tlp=Tlp.GREEN)
    originals = [indicator(distribution="open", tlp=Tlp.AMBER) for _ in range(5)]
    first = [_write(world, analyst, obj) for obj in originals]
    amber = "TLP:AMBER above the agreed TLP:GREEN"
    assert review(world.db, node_b.id, page_size=2) == {amber: 5}  # three pages
    cursor = _state(world.db, node_b.id).review_cursor
    with world.db.read() as session:
        newest = session.scalar(select(func.max(StixObject.pk)))
    assert cursor == newest
    assert review(world.db, node_b.id) == {}  # nothing changed: nothing looked at again

    windows: list[tuple[int, list[str]]] = []
    real = egress.review_page

    def spy(*args: Any, **kw: Any) -> tuple[int | None, list[egress.Withheld]]:
        last, kept = real(*args, **kw)
        windows.append((args[2], [k.stix_id for k in kept]))
        return last, kept

    monkeypatch.setattr(egress, "review_page", spy)
    later = _write(world, analyst, indicator(distribution="open", tlp=Tlp.AMBER))
    passes = _write(world, analyst, indicator(distribution="open", tlp=Tlp.GREEN))
    done = push(world.db, node_b.id)
    assert done.sent == 1
    assert done.withheld_reasons == {"TLP:AMBER above the agreed TLP:GREEN": 1}
    assert windows[0] == (cursor, [later])  # the window starts after the cursor
    assert all(kept == [] for _after, kept in windows[1:])
    state = _state(world.db, node_b.id)
    assert state.withheld == 6
    assert set(_listed(world.db, node_b.id)) == {*first, later}
    assert _ids(peer_world.db) == {passes}

    # A new version of a withheld object is a change: checked (and here sent) again.
    newer = {
        **indicator(distribution="open", tlp=Tlp.GREEN),
        "id": first[0],
        "created": originals[0]["created"],
        "modified": stamp(datetime.now(UTC)),
    }
    _write(world, analyst, newer)
    assert push(world.db, node_b.id).sent == 1
    assert first[0] in _ids(peer_world.db)


def test_a_new_sending_agreement_reviews_everything_again(
    world: World, live_url: str, peer_world: World, peer_url: str, analyst: Account
) -> None:
    node_b, _ = _linked(
        world, live_url, peer_world, peer_url, max_tlp=Tlp.GREEN, types=["indicator"]
    )
    amber = {_write(world, analyst, indicator(distribution="open", tlp=Tlp.AMBER)) for _ in "ab"}
    rep = _write(world, analyst, report(sorted(amber), distribution="open"))
    assert push(world.db, node_b.id).withheld == 3
    Federation(world).agree(node_b, max_tlp=Tlp.AMBER, types=["indicator"])
    state = _state(world.db, node_b.id)
    assert (state.withheld, state.withheld_reasons, state.review_cursor) == (0, None, None)
    assert _listed(world.db, node_b.id) == {}
    done = push(world.db, node_b.id)
    assert done.sent == 2
    assert done.withheld_reasons == {"type report not covered": 1}
    assert _listed(world.db, node_b.id) == {rep: "type report not covered"}
    assert _ids(peer_world.db) == amber


def test_backoff_and_withheld_are_shown_by_rest_and_the_command_line(
    world: World,
    live_url: str,
    peer_world: World,
    peer_url: str,
    analyst: Account,
    client: httpx.Client,
    tmp_path: Path,
) -> None:
    node_b, _ = _linked(world, live_url, peer_world, peer_url)
    _write(world, analyst, indicator(distribution="open", tlp=Tlp.RED))
    _write(world, analyst, indicator(distribution="org"))
    a = Cli(world.db.engine.url.render_as_string(hide_password=False), tmp_path)
    done = a.run("sync", "run")
    assert done.code == 0, done
    assert done.stdout.splitlines() == [
        f"{node_b.name}\treceived 0\tsent 0\trefused 0\twithheld 2\tok",
        *(f"\twithheld 1\t{reason}" for reason in sorted([ORG, RED])),
    ]

    with world.db.write() as session:
        peer = session.get(PeerRow, node_b.id)
        assert peer is not None
        peer.url = "http://127.0.0.1:9/"  # nothing listens there
    _write(world, analyst, indicator(distribution="open"))  # something to push
    failed = push(world.db, node_b.id)
    assert (failed.error or "").startswith("push:")
    state = _state(world.db, node_b.id)
    assert state.push_failures == 1
    assert state.push_retry_at is not None
    assert state.last_attempt is not None
    assert state.push_retry_at == state.last_attempt + sync_module.backoff(1)
    # Backing off, the push is not tried, but what is new is still checked and reported.
    _write(world, analyst, indicator(distribution="node"))
    waiting = push(world.db, node_b.id)
    assert "backing off" in (waiting.error or "")
    assert waiting.withheld_reasons == {NODE: 1}

    admin = world.account(world.org(), Role.ADMIN)
    (entry,) = client.get("/api/v1/nodes", headers=admin.headers).json()
    assert entry["sync"]["push"]["failures"] == 1
    assert entry["sync"]["push"]["next_attempt"] is not None
    assert entry["sync"]["last_error"].startswith("push:")
    assert entry["sync"]["withheld"] == {"total": 3, "by_reason": {ORG: 1, NODE: 1, RED: 1}}

    listed = a.run("node", "list")
    assert listed.code == 0, listed
    head, *reasons = listed.stdout.splitlines()
    fields = head.split("\t")
    assert fields[:3] == [node_b.id, node_b.name, "http://127.0.0.1:9/"]
    assert "push failures 1" in fields
    assert f"next push {state.push_retry_at.isoformat(timespec='seconds')}" in fields
    assert "withheld 3" in fields
    assert fields[-1].startswith("error: push:")
    assert reasons == [f"\twithheld 1\t{reason}" for reason in sorted([ORG, NODE, RED])]


def test_removing_a_peer_forgets_what_was_withheld_from_it(
    world: World, live_url: str, peer_world: World, peer_url: str, analyst: Account
) -> None:
    node_b, _ = _linked(world, live_url, peer_world, peer_url)
    red = _write(world, analyst, indicator(distribution="open", tlp=Tlp.RED))
    assert push(world.db, node_b.id).withheld_reasons == {RED: 1}
    assert _listed(world.db, node_b.id) == {red: RED}
    with world.db.write() as session:
        peer = session.get(Node, node_b.id)
        assert peer is not None
        remove_peer(session, "test", peer)
    assert _listed(world.db, node_b.id) == {}
    with world.db.read() as session:
        assert session.get(SyncState, node_b.id) is None
