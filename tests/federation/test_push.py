"""Push: what is newly published here goes to peers at once (after the commit), under
the same egress rules; the receiving server checks it with `ingress.receive`."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from accord.db import Database
from accord.federation import hooks
from accord.federation.models import SyncRefusal, SyncState
from accord.federation.sync import SyncWorker, push
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.intel.service import publish
from accord.organizations.models import Node
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator
from tests.federation.conftest import Federation, link


def _ids(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(StixObject.stix_id)))


def _linked(world: World, live_url: str, peer_world: World, peer_url: str) -> str:
    Federation(world)
    b_at_a, a_at_b = link(world, live_url, peer_world, peer_url)
    with world.db.read() as session:
        node_b = session.get(Node, b_at_a)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    assert node_b is not None
    Federation(world).agree(node_b, types=["indicator"])
    Federation(peer_world).agree(node_a, max_tlp=Tlp.GREEN, types=["indicator"])
    return b_at_a


def _write(
    world: World, account: Account, *objects: dict[str, Any], published: bool = True
) -> list[str]:
    result = world.ingest(account, *objects, published=published)
    assert result.ok, result.results
    return [str(o["id"]) for o in objects]


def test_push_sends_what_is_new_and_may_go(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a = _linked(world, live_url, peer_world, peer_url)
    analyst = world.account(world.org(), Role.ANALYST)
    sent = _write(
        world, analyst, indicator(distribution="open"), indicator(distribution="federation")
    )
    _write(
        world,
        analyst,
        indicator(distribution="node"),
        indicator(distribution="open"),
        published=False,
    )
    (amber,) = _write(world, analyst, indicator(distribution="open", tlp=Tlp.AMBER))
    report = push(world.db, b_at_a)
    assert report.error is None
    assert report.sent == 2
    assert _ids(peer_world.db) == sorted(sent)
    with peer_world.db.read() as session:
        refusal = session.scalars(select(SyncRefusal)).one()  # B's agreement stops at GREEN
    assert refusal.object_id == amber

    assert push(world.db, b_at_a).sent == 0  # nothing new since the push cursor
    newer = _write(world, analyst, indicator(distribution="open"))
    assert push(world.db, b_at_a).sent == 1
    assert _ids(peer_world.db) == sorted(sent + newer)
    with world.db.read() as session:
        state = session.get(SyncState, b_at_a)
    assert state is not None
    assert state.sent == 3


def test_publishing_a_draft_makes_it_new_for_push(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a = _linked(world, live_url, peer_world, peer_url)
    analyst = world.account(world.org(), Role.ANALYST)
    (draft,) = _write(world, analyst, indicator(distribution="open"), published=False)
    assert push(world.db, b_at_a).sent == 0
    with world.db.write() as session:
        publish(session, analyst.principal, draft)
    assert push(world.db, b_at_a).sent == 1
    assert _ids(peer_world.db) == [draft]


def test_commits_that_publish_wake_the_subscribers(world: World) -> None:
    calls: list[int] = []
    analyst = world.account(world.org(), Role.ANALYST)

    def woken() -> None:
        calls.append(1)

    hooks.subscribe(woken)
    try:
        (draft,) = _write(world, analyst, indicator(distribution="open"), published=False)
        assert calls == []
        _write(world, analyst, indicator(distribution="open"))
        assert calls == [1]
        with world.db.write() as session:
            publish(session, analyst.principal, draft)
        assert calls == [1, 1]
        rejected = world.ingest(analyst, {"type": "indicator"})
        assert not rejected.ok
        assert calls == [1, 1]
    finally:
        hooks.unsubscribe(woken)


def test_the_sync_worker_pushes_right_after_a_publishing_commit(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    _linked(world, live_url, peer_world, peer_url)
    analyst = world.account(world.org(), Role.ANALYST)
    arrived = threading.Event()

    worker = SyncWorker(world.db, interval=3600)  # the periodic round never comes here
    worker.start()
    try:
        (obj,) = _write(world, analyst, indicator(distribution="open"))
        for _ in range(300):
            if _ids(peer_world.db) == [obj]:
                arrived.set()
                break
            arrived.wait(0.1)
    finally:
        worker.stop()
    assert arrived.is_set()
