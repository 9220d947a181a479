"""Pull between two nodes, each with its own database and live TAXII server: exactly
what the rules and agreements let go arrives, incrementally, and an interrupted sync
resumes without duplicates or gaps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from accord.db import Database
from accord.federation.models import Agreement, SyncRefusal, SyncState
from accord.federation.models import Peer as PeerRow
from accord.federation.sync import pull
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Node
from accord.sharing.tlp import Tlp
from tests.cli.support import Cli
from tests.factories import World, indicator
from tests.federation.conftest import Federation, link


def _ids(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(StixObject.stix_id)))


def _nodes(world: World, live_url: str, peer_world: World, peer_url: str) -> tuple[str, str]:
    """A (this test's `world`) and B (`peer_world`) as peers with agreements both ways."""
    Federation(world)
    b_at_a, a_at_b = link(world, live_url, peer_world, peer_url)
    with world.db.read() as session:
        node_b = session.get(Node, b_at_a)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    assert node_b is not None
    Federation(world).agree(node_b, max_tlp=Tlp.AMBER, types=["indicator"])
    Federation(peer_world).agree(node_a, max_tlp=Tlp.AMBER_STRICT, types=["indicator"])
    return b_at_a, a_at_b


def _publish(world: World, *objects: dict[str, Any]) -> list[str]:
    analyst = world.account(world.org(), Role.ANALYST)
    result = world.ingest(analyst, *objects)
    assert result.ok, result.results
    return [str(o["id"]) for o in objects]


def test_pull_brings_exactly_what_may_cross_then_only_what_is_new(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    _b, a_at_b = _nodes(world, live_url, peer_world, peer_url)
    allowed = _publish(
        world,
        indicator(distribution="open", tlp=Tlp.GREEN),
        indicator(distribution="federation", tlp=Tlp.AMBER),
        indicator(distribution="open"),
    )
    _publish(
        world,
        indicator(distribution="org"),
        indicator(distribution="node"),
        indicator(distribution="open", tlp=Tlp.RED),
        indicator(distribution="open", tlp=Tlp.AMBER_STRICT),  # above A's sending agreement
    )
    report = pull(peer_world.db, a_at_b)
    assert report.error is None
    assert (report.received, report.refused) == (3, 0)
    assert _ids(peer_world.db) == sorted(allowed)
    with peer_world.db.read() as session:
        federation = session.scalars(
            select(StixObject.distribution).where(StixObject.stix_id == allowed[1])
        ).one()
        state = session.get(SyncState, a_at_b)
    assert federation == "node"
    assert state is not None
    assert state.cursor is not None
    assert state.last_success is not None

    again = pull(peer_world.db, a_at_b)
    assert (again.received, again.existing, again.refused) == (0, 0, 0)
    newer = _publish(world, indicator(distribution="open"))
    after = pull(peer_world.db, a_at_b)
    assert (after.received, after.existing) == (1, 0)
    assert _ids(peer_world.db) == sorted(allowed + newer)


def test_receiving_side_refuses_what_its_agreement_does_not_cover(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, a_at_b = _nodes(world, live_url, peer_world, peer_url)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    fed_b = Federation(peer_world)
    with peer_world.db.write() as session:
        for agreement in session.scalars(select(Agreement)):
            session.delete(agreement)
    fed_b.agree(node_a, max_tlp=Tlp.GREEN, types=["indicator"])
    (amber,) = _publish(world, indicator(distribution="open", tlp=Tlp.AMBER))
    report = pull(peer_world.db, a_at_b)
    assert (report.received, report.refused) == (0, 1)
    with peer_world.db.read() as session:
        refusal = session.scalars(select(SyncRefusal)).one()
    assert refusal.object_id == amber
    assert "above the agreed TLP:GREEN" in refusal.reason
    assert _ids(peer_world.db) == []
    del b_at_a


class _Interrupted(httpx.BaseTransport):
    """Real HTTP that breaks after `pages` object pages, like a killed sync."""

    def __init__(self, pages: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.pages = pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/objects/"):
            if self.pages == 0:
                raise httpx.ConnectError("connection lost", request=request)
            self.pages -= 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_interrupted_pull_resumes_exactly(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    _b, a_at_b = _nodes(world, live_url, peer_world, peer_url)
    sent = _publish(world, *[indicator(distribution="open") for _ in range(7)])
    with httpx.Client(transport=_Interrupted(2)) as broken:
        first = pull(peer_world.db, a_at_b, client=broken, page_size=2)
    assert first.error is not None
    assert "connection lost" in first.error
    assert first.received == 4
    assert len(_ids(peer_world.db)) == 4
    with peer_world.db.read() as session:
        state = session.get(SyncState, a_at_b)
    assert state is not None
    assert state.last_error == first.error

    resumed = pull(peer_world.db, a_at_b, page_size=2)
    assert resumed.error is None
    assert (resumed.received, resumed.existing) == (3, 0)
    assert _ids(peer_world.db) == sorted(sent)
    with peer_world.db.read() as session:
        rows = session.scalar(select(func.count()).select_from(StixObject))
        state = session.get(SyncState, a_at_b)
    assert rows == 7
    assert state is not None
    assert state.last_error is None


def test_sync_run_command(
    world: World, live_url: str, peer_world: World, peer_url: str, tmp_path: Path
) -> None:
    _b, a_at_b = _nodes(world, live_url, peer_world, peer_url)
    _publish(world, indicator(distribution="open"), indicator(distribution="open"))
    b = Cli(peer_world.db.engine.url.render_as_string(hide_password=False), tmp_path)
    done = b.run("sync", "run")
    assert done.code == 0, done
    assert done.stdout.splitlines() == [
        f"{_name(peer_world.db, a_at_b)}\treceived 2\tsent 0\trefused 0\twithheld 0\tok"
    ]
    with peer_world.db.write() as session:
        peer = session.get(PeerRow, a_at_b)
        assert peer is not None
        peer.url = "http://127.0.0.1:9/"  # nothing listens there
    failed = b.run("sync", "run", "--node", a_at_b)
    assert failed.code == 1
    assert "error: pull:" in failed.stdout
    assert "error: sync failed for at least one peer" in failed.stderr


def _name(db: Database, node_id: str) -> str:
    with db.read() as session:
        node = session.get(Node, node_id)
        assert node is not None
        return node.name
