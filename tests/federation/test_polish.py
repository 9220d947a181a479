"""Federation follow-ups: the pull refreshes the peer's directory, a peer can be removed,
a new agreement resends what it now lets cross, and a failing push backs off."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.db.base import utcnow
from accord.federation.handshake import create_invitation
from accord.federation.models import Agreement, Direction, SyncRefusal, SyncState
from accord.federation.models import Peer as PeerRow
from accord.federation.service import add_peer, node_info, remove_peer
from accord.federation.signing import NodeKey
from accord.federation.sync import BACKOFF_FIRST, BACKOFF_MAX, backoff, pull, push
from accord.identity.models import ApiKey, Role
from accord.intel.models import StixObject
from accord.organizations.models import Node, Organization
from tests.cli.support import Cli
from tests.factories import World, indicator, report
from tests.federation.conftest import Federation, link


def _linked(world: World, live_url: str, peer_world: World, peer_url: str) -> tuple[str, str]:
    """A (`world`) and B (`peer_world`) as peers; both send and receive indicators."""
    Federation(world)
    b_at_a, a_at_b = link(world, live_url, peer_world, peer_url)
    Federation(world).agree(_node(world, b_at_a), types=["indicator"])
    Federation(peer_world).agree(_node(peer_world, a_at_b), types=["indicator", "report"])
    return b_at_a, a_at_b


def _node(world: World, node_id: str) -> Node:
    with world.db.read() as session:
        node = session.get(Node, node_id)
    assert node is not None
    return node


def _publish(world: World, *objects: dict[str, Any]) -> list[str]:
    result = world.ingest(world.account(world.org(), Role.ANALYST), *objects)
    assert result.ok, result.results
    return [str(o["id"]) for o in objects]


def _has(world: World, stix_id: str) -> bool:
    with world.db.read() as session:
        return (
            session.scalars(select(StixObject.pk).where(StixObject.stix_id == stix_id)).first()
            is not None
        )


def _state(world: World, node_id: str) -> SyncState:
    with world.db.read() as session:
        state = session.get(SyncState, node_id)
    assert state is not None
    return state


class _NoDirectory(httpx.HTTPTransport):
    """The peer's real server, except that its directory answers 503."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/v1/node"):
            return httpx.Response(503, request=request)
        return super().handle_request(request)


# --- 1. the pull refreshes the directory -----------------------------------------------------


def test_pull_learns_the_peers_new_organizations_before_its_objects(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    newcomer = peer_world.org("Joined later")
    with world.db.read() as session:
        assert session.get(Organization, newcomer.id) is None
    report_ = pull(world.db, b_at_a)
    assert report_.error is None
    with world.db.read() as session:
        learned = session.get(Organization, newcomer.id)
    assert learned is not None
    assert learned.node_id == b_at_a


def test_a_directory_that_fails_is_recorded_and_the_objects_still_arrive(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    (sent,) = _publish(peer_world, indicator(distribution="open"))
    with httpx.Client(transport=_NoDirectory(), timeout=60) as http:
        report_ = pull(world.db, b_at_a, client=http)
    assert report_.received == 1
    assert _has(world, sent)
    assert report_.error is not None
    assert report_.error.startswith("directory:")
    assert _state(world, b_at_a).last_error == report_.error


# --- 2. removing a peer ------------------------------------------------------------------------


def test_removing_a_peer_ends_agreements_revokes_keys_and_keeps_what_was_received(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, a_at_b = _linked(world, live_url, peer_world, peer_url)
    (received,) = _publish(peer_world, indicator(distribution="open"))
    assert pull(world.db, b_at_a).received == 1
    admin = world.account(world.org("Home staff"), Role.ADMIN)
    analyst = world.account(world.org("Analysts"), Role.ANALYST)
    with httpx.Client(base_url=live_url, timeout=60) as http:
        assert http.delete(f"/api/v1/nodes/{b_at_a}", headers=analyst.headers).status_code == 403
        r = http.delete("/api/v1/nodes/peer-node", headers=admin.headers)
        assert r.status_code == 204, r.text
        assert http.delete(f"/api/v1/nodes/{b_at_a}", headers=admin.headers).status_code == 404
    with world.db.read() as session:
        assert session.get(PeerRow, b_at_a) is None
        assert session.get(SyncState, b_at_a) is None
        agreements = session.scalars(select(Agreement).where(Agreement.node_id == b_at_a)).all()
        keys = session.scalars(select(ApiKey).where(ApiKey.node_id == b_at_a)).all()
        orgs = session.scalars(select(Organization.id).where(Organization.node_id == b_at_a)).all()
        audited = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "node.remove", AuditEntry.target == b_at_a
            )
        ).all()
    assert agreements
    assert all(a.ended_at is not None for a in agreements)
    assert keys
    assert all(k.revoked_at is not None for k in keys)
    assert orgs
    assert len(audited) == 1
    assert _has(world, received)
    # B's key for A no longer opens A's collection.
    refused = pull(peer_world.db, a_at_b)
    assert refused.error is not None
    assert "HTTP 401" in refused.error or "HTTP 403" in refused.error


def test_a_removed_peer_can_be_invited_and_added_again(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    with world.db.write() as session:
        remove_peer(session, "test", _node(world, b_at_a))
    with world.db.write() as session:
        assert create_invitation(session, "test", "peer-node").startswith("inv_")
    with peer_world.db.read() as session:
        info = node_info(session)
    with world.db.write() as session:
        node = add_peer(
            session,
            "test",
            info,
            peer_url,
            "k",
            NodeKey.from_public_text(info.public_key).fingerprint(),
        )
        assert node.id == b_at_a
    with world.db.read() as session:
        assert session.get(PeerRow, b_at_a) is not None


def test_node_remove_command(
    world: World, live_url: str, peer_world: World, peer_url: str, tmp_path: Path
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    a = Cli(world.db.engine.url.render_as_string(hide_password=False), tmp_path)
    done = a.run("node", "remove", "peer-node")
    assert done.code == 0, done
    assert "peer-node removed" in done.stderr
    with world.db.read() as session:
        assert session.get(PeerRow, b_at_a) is None
    again = a.run("node", "remove", "peer-node")
    assert again.code != 0
    assert "no peer node named 'peer-node'" in again.stderr


# --- 3. a new agreement resends what it now lets cross -----------------------------------------


def test_a_new_sending_agreement_resends_older_objects(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    (ind,) = _publish(world, indicator(distribution="open"))
    (old,) = _publish(world, report([ind], distribution="open"))
    first = push(world.db, b_at_a)
    assert (first.error, first.sent) == (None, 1)
    assert not _has(peer_world, old)
    Federation(world).agree(_node(world, b_at_a), Direction.SEND, types=["report"])
    assert _state(world, b_at_a).push_cursor is None
    again = push(world.db, b_at_a)
    assert again.error is None
    assert again.sent == 1  # the report; the indicator `exists` at B
    assert _has(peer_world, old)
    assert _has(peer_world, ind)


def test_a_new_receiving_agreement_pulls_older_objects_again(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    (ind,) = _publish(peer_world, indicator(distribution="open"))
    (old,) = _publish(peer_world, report([ind], distribution="open"))
    first = pull(world.db, b_at_a)
    assert (first.received, first.refused) == (1, 1)
    with world.db.read() as session:
        assert session.scalars(select(SyncRefusal).where(SyncRefusal.object_id == old)).first()
    Federation(world).agree(_node(world, b_at_a), Direction.RECEIVE, types=["report"])
    assert _state(world, b_at_a).cursor is None
    assert pull(world.db, b_at_a).received == 1
    assert _has(world, old)


# --- 4. push backoff ---------------------------------------------------------------------------


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(0) == timedelta(0)
    assert backoff(1) == BACKOFF_FIRST
    assert backoff(2) == 2 * BACKOFF_FIRST
    assert backoff(100) == BACKOFF_MAX


def test_a_failing_peer_is_skipped_until_the_backoff_passes_and_reset_by_success(
    world: World, live_url: str, peer_world: World, peer_url: str
) -> None:
    b_at_a, _ = _linked(world, live_url, peer_world, peer_url)
    (ind,) = _publish(world, indicator(distribution="open"))
    with world.db.write() as session:
        row = session.get(PeerRow, b_at_a)
        assert row is not None
        row.url = "http://127.0.0.1:9/"
    failed = push(world.db, b_at_a)
    assert failed.error is not None
    assert failed.error.startswith("push:")
    state = _state(world, b_at_a)
    assert state.push_failures == 1
    assert state.push_retry_at is not None
    assert state.push_retry_at > utcnow()
    skipped = push(world.db, b_at_a)
    assert skipped.error is not None
    assert "backing off" in skipped.error
    assert _state(world, b_at_a).push_failures == 1
    assert push(world.db, b_at_a, ignore_backoff=True).error is not None
    assert _state(world, b_at_a).push_failures == 2
    with world.db.write() as session:
        row = session.get(PeerRow, b_at_a)
        assert row is not None
        row.url = peer_url.rstrip("/") + "/"
    assert push(world.db, b_at_a).error is not None  # still backing off
    ok = push(world.db, b_at_a, ignore_backoff=True)
    assert (ok.error, ok.sent) == (None, 1)
    state = _state(world, b_at_a)
    assert (state.push_failures, state.push_retry_at) == (0, None)
    assert _has(peer_world, ind)
