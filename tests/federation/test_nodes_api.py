"""REST for the node admin: peers with sync status, refusals, agreements; nobody else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.federation.models import SyncRefusal, SyncState
from accord.federation.service import PeerInfo, RemoteOrg, add_peer, ensure_node_key, issue_node_key
from accord.federation.signing import NodeKey
from accord.identity.models import Role
from accord.organizations.models import Node
from accord.organizations.service import local_node
from tests.factories import Account, World

AGREEMENT = {
    "max_tlp": "amber",
    "types": ["report", "indicator"],
    "labels": ["counter-uav"],
    "direction": "both",
    "valid_from": "2026-01-01",
    "valid_until": "2027-12-31",
}


def _peer(world: World, name: str = "partner") -> tuple[Node, NodeKey]:
    key = NodeKey.generate()
    info = PeerInfo(
        str(uuid.uuid4()),
        name,
        key.public_text(),
        [RemoteOrg(str(uuid.uuid4()), f"{name} staff", "XP", "partner")],
    )
    with world.db.write() as session:
        node = add_peer(
            session, "test", info, f"http://{name}.test/", "acc_k", key.fingerprint(), name=name
        )
    return node, key


@pytest.fixture
def admin(world: World) -> Account:
    with world.db.write() as session:
        ensure_node_key(session, local_node(session))
    return world.account(world.org("Home staff"), Role.ADMIN)


def test_nodes_lists_peers_with_their_sync_status(
    world: World, admin: Account, client: httpx.Client
) -> None:
    node, key = _peer(world)
    quiet, _ = _peer(world, "quiet")
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with world.db.write() as session:
        session.add(
            SyncState(
                node_id=node.id,
                last_attempt=moment,
                last_success=moment - timedelta(hours=1),
                sent=12,
                received=7,
                refused=2,
                last_error="peer answered 503",
                push_failures=3,
                push_retry_at=moment + timedelta(minutes=2),
                withheld=5,
                withheld_reasons={"TLP:RED never leaves its node": 4, "x": 1},
            )
        )
    r = client.get("/api/v1/nodes", headers=admin.headers)
    assert r.status_code == 200, r.text
    listed = {p["name"]: p for p in r.json()}
    assert set(listed) == {"partner", "quiet"}
    partner = listed["partner"]
    assert partner["id"] == node.id
    assert partner["url"] == "http://partner.test/"
    assert partner["fingerprint"] == key.fingerprint()
    assert [o["name"] for o in partner["organizations"]] == ["partner staff"]
    assert partner["sync"]["sent"] == 12
    assert partner["sync"]["received"] == 7
    assert partner["sync"]["refused"] == 2
    assert partner["sync"]["last_error"] == "peer answered 503"
    assert partner["sync"]["last_success"].startswith("2026-06-01T11:00")
    # The push backoff: failures in a row and when the background sync tries again.
    assert partner["sync"]["push"]["failures"] == 3
    assert partner["sync"]["push"]["next_attempt"].startswith("2026-06-01T12:02")
    assert partner["sync"]["withheld"] == {
        "total": 5,
        "by_reason": {"TLP:RED never leaves its node": 4, "x": 1},
    }
    assert listed["quiet"]["sync"] == {
        "last_attempt": None,
        "last_success": None,
        "sent": 0,
        "received": 0,
        "refused": 0,
        "last_error": None,
        "withheld": {"total": 0, "by_reason": {}},
        "push": {"failures": 0, "next_attempt": None},
    }
    assert quiet.id != node.id


def test_refusals_come_newest_first_in_pages(
    world: World, admin: Account, client: httpx.Client
) -> None:
    node, _ = _peer(world)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with world.db.write() as session:
        for i in range(5):
            session.add(
                SyncRefusal(
                    node_id=node.id,
                    at=start + timedelta(minutes=i),
                    direction="receive",
                    object_id=f"indicator--{uuid.UUID(int=i)}",
                    version="2026-06-01T00:00:00.000Z",
                    reason=f"reason {i}",
                )
            )
    seen: list[str] = []
    url = f"/api/v1/nodes/{node.name}/refusals?limit=2"
    while True:
        r = client.get(url, headers=admin.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(x["reason"] for x in page["refusals"])
        if not page["more"]:
            assert page["next"] is None
            break
        url = f"/api/v1/nodes/{node.id}/refusals?limit=2&next={page['next']}"
    assert seen == [f"reason {i}" for i in reversed(range(5))]
    bad = client.get(f"/api/v1/nodes/{node.id}/refusals?next=!!", headers=admin.headers)
    assert bad.status_code == 422
    missing = client.get(f"/api/v1/nodes/{uuid.uuid4()}/refusals", headers=admin.headers)
    assert missing.status_code == 404


def test_agreements_are_added_listed_and_ended_with_audit(
    world: World, admin: Account, client: httpx.Client
) -> None:
    node, _ = _peer(world)
    r = client.post(
        "/api/v1/agreements", json={**AGREEMENT, "node": "partner"}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["node_id"] == node.id
    assert made["max_tlp"] == "TLP:AMBER"
    assert made["types"] == ["indicator", "report"]
    assert made["ended_at"] is None
    listed = client.get("/api/v1/agreements?node=partner", headers=admin.headers).json()
    assert [a["id"] for a in listed] == [made["id"]]
    ended = client.post(f"/api/v1/agreements/{made['id']}/end", headers=admin.headers)
    assert ended.status_code == 200
    assert ended.json()["ended_at"] is not None
    with world.db.read() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target == made["id"])
                .order_by(AuditEntry.seq)
            )
        )
        actors = set(
            session.scalars(select(AuditEntry.actor).where(AuditEntry.target == made["id"]))
        )
    assert actions == ["agreement.add", "agreement.end"]
    assert actors == {admin.principal.actor}
    gone = client.post(f"/api/v1/agreements/{uuid.uuid4()}/end", headers=admin.headers)
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"max_tlp": "red"}, "RED never leaves"),
        ({"max_tlp": "purple"}, "TLP"),
        ({"valid_until": "2025-01-01"}, "ends before it begins"),
        ({"node": "nobody"}, "no peer node"),
        ({"direction": "sideways"}, ""),
        ({"types": []}, ""),
    ],
)
def test_a_bad_agreement_is_refused_and_nothing_is_added(
    world: World, admin: Account, client: httpx.Client, change: dict[str, object], reason: str
) -> None:
    _peer(world)
    r = client.post(
        "/api/v1/agreements", json={**AGREEMENT, "node": "partner", **change}, headers=admin.headers
    )
    assert r.status_code in (404, 422), r.text
    assert reason in str(r.json()["detail"])
    assert client.get("/api/v1/agreements", headers=admin.headers).json() == []


def test_only_the_node_admin_manages_federation(
    world: World, admin: Account, client: httpx.Client
) -> None:
    node, _ = _peer(world)
    with world.db.write() as session:
        peer = session.get(Node, node.id)
        assert peer is not None
        node_headers = {"Authorization": f"Bearer {issue_node_key(session, 'test', peer)}"}
    home = world.org("Other staff")
    callers = [world.account(home, role).headers for role in Role if role is not Role.ADMIN]
    for headers in [*callers, node_headers]:
        for method, url in [
            ("GET", "/api/v1/nodes"),
            ("GET", f"/api/v1/nodes/{node.id}/refusals"),
            ("GET", f"/api/v1/nodes/{uuid.uuid4()}/refusals"),
            ("GET", "/api/v1/agreements"),
            ("POST", f"/api/v1/agreements/{uuid.uuid4()}/end"),
        ]:
            r = client.request(method, url, headers=headers)
            assert r.status_code == 403, (method, url, r.text)
        r = client.post(
            "/api/v1/agreements", json={**AGREEMENT, "node": "partner"}, headers=headers
        )
        assert r.status_code == 403
    # Every principal, node principals included, reads the directory.
    for headers in [*callers, node_headers]:
        assert client.get("/api/v1/node", headers=headers).status_code == 200
    assert client.get("/api/v1/agreements", headers=admin.headers).json() == []
    assert client.get("/api/v1/nodes").status_code == 401


def test_openapi_documents_the_federation_routes(client: httpx.Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/v1/node"])
    assert {"post"} <= set(paths["/api/v1/node/handshake"])
    assert {"get"} <= set(paths["/api/v1/nodes"])
    assert {"get"} <= set(paths["/api/v1/nodes/{node}/refusals"])
    assert {"get", "post"} <= set(paths["/api/v1/agreements"])
    assert {"post"} <= set(paths["/api/v1/agreements/{agreement_id}/end"])
