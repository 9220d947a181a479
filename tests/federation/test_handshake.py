"""Connecting two nodes: invitation, fingerprint, signed handshake, nothing half-done."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEntry
from accord.db.base import utcnow
from accord.errors import Conflict, Invalid, NotFound
from accord.federation.handshake import (
    connect,
    create_invitation,
    info_to_json,
    refresh,
    sign,
)
from accord.federation.models import Invitation, Peer, RelayedNode
from accord.federation.service import (
    PeerInfo,
    RemoteOrg,
    find_node,
    learn_nodes,
    node_info,
    peers,
    refresh_directory,
)
from accord.federation.signing import NodeKey
from accord.identity.service import principal_for_api_key
from accord.organizations.models import Node, Organization, OrgKind
from accord.organizations.service import create_organization
from accord.sharing.principal import PrincipalKind
from tests.federation.sites import Site, SiteDatabases, site_databases


@pytest.fixture(scope="module")
def databases(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from site_databases(database_url, tmp_path_factory.mktemp("sites"))


@pytest.fixture
def a(databases: SiteDatabases) -> Site:
    return databases.site("node-a")


@pytest.fixture
def b(databases: SiteDatabases) -> Site:
    return databases.site("node-b")


@pytest.fixture
def c(databases: SiteDatabases) -> Site:
    return databases.site("node-c")


def invite(site: Site, name: str, days: int = 7) -> str:
    with site.db.write() as session:
        return create_invitation(session, "test", name, days)


def join(joiner: Site, host: Site, key: str, name: str, fingerprint: str | None = None) -> Node:
    """`accord node add` on `joiner`, reaching `host` over loopback."""
    with httpx.Client(timeout=30) as http:
        return connect(
            joiner.db,
            "test",
            name,
            host.url,
            key,
            fingerprint or host.key.fingerprint(),
            joiner.url,
            http,
        )


def snapshot(site: Site) -> tuple[int, ...]:
    """Counts of everything a handshake writes: nodes, organizations, peers, keys, audit."""
    with site.db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Node, Organization, Peer, RelayedNode, AuditEntry)
        )


def test_two_nodes_connect_and_hold_each_others_keys(a: Site, b: Site) -> None:
    node_a = join(b, a, invite(a, "partner-b"), "coalition-a")
    assert node_a.id == a.node_id

    with b.db.read() as session:
        [peer_a] = peers(session)
        assert (peer_a.name, peer_a.public_key) == ("coalition-a", a.key.public_text())
        a_org = session.get(Organization, a.org.id)
        assert a_org is not None
        assert a_org.node_id == a.node_id
        key_for_b = session.get(Peer, a.node_id)
        assert key_for_b is not None
        assert key_for_b.url == a.url + "/"
    with a.db.read() as session:
        [peer_b] = peers(session)
        assert (peer_b.id, peer_b.name) == (b.node_id, "partner-b")
        b_org = session.get(Organization, b.org.id)
        assert b_org is not None
        assert b_org.node_id == b.node_id
        key_for_a = session.get(Peer, b.node_id)
        assert key_for_a is not None
        assert key_for_a.url == b.url + "/"
        invitation = session.scalars(select(Invitation)).one()
        assert invitation.used_at is not None
        assert invitation.node_id == b.node_id

    # Each side's stored key makes it a node principal on the other side.
    with a.db.read() as session:
        found = principal_for_api_key(session, key_for_b.api_key, a.node_id)
        assert found is not None
        assert found[0].kind is PrincipalKind.NODE
        assert found[0].node_id == b.node_id
    with b.db.read() as session:
        found = principal_for_api_key(session, key_for_a.api_key, b.node_id)
        assert found is not None
        assert found[0].kind is PrincipalKind.NODE
        assert found[0].node_id == a.node_id

    for site, actions in ((a, {"node.invite", "node.add", "node.handshake"}), (b, {"node.add"})):
        with site.db.read() as session:
            logged = set(session.scalars(select(AuditEntry.action)))
            assert actions | {"apikey.create", "node.handshake"} <= logged


def test_directory_needs_a_key_or_a_pending_invitation(a: Site) -> None:
    with a.client() as http:
        _check_directory(a, http)


def _check_directory(a: Site, http: httpx.Client) -> None:
    assert http.get("/api/v1/node").status_code == 401
    bad = http.get("/api/v1/node", headers={"Authorization": "Bearer inv_nonsense"})
    assert bad.status_code == 403
    key = invite(a, "partner-b")
    with_invitation = http.get("/api/v1/node", headers={"Authorization": f"Bearer {key}"})
    assert with_invitation.status_code == 200, with_invitation.text
    body = with_invitation.json()
    assert body["id"] == a.node_id
    assert body["fingerprint"] == a.key.fingerprint()
    assert [o["id"] for o in body["organizations"]] == [a.org.id]
    assert body["nodes"] == []
    as_admin = http.get("/api/v1/node", headers=a.admin.headers)
    assert as_admin.json() == body


def test_wrong_fingerprint_registers_nothing_on_either_side(a: Site, b: Site) -> None:
    key = invite(a, "partner-b")
    before_a, before_b = snapshot(a), snapshot(b)
    with pytest.raises(Invalid, match="fingerprint"):
        join(b, a, key, "coalition-a", NodeKey.generate().fingerprint())
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)
    # The invitation is still good: the right fingerprint then connects.
    join(b, a, key, "coalition-a")
    with b.db.read() as session:
        assert find_node(session, "coalition-a").id == a.node_id


def test_an_invitation_works_once(a: Site, b: Site, c: Site) -> None:
    key = invite(a, "partner-b")
    join(b, a, key, "coalition-a")
    before_a, before_c = snapshot(a), snapshot(c)
    with pytest.raises(Invalid, match="refused the key"):
        join(c, a, key, "coalition-a")
    assert (snapshot(a), snapshot(c)) == (before_a, before_c)


def test_an_expired_invitation_is_refused(a: Site, b: Site) -> None:
    key = invite(a, "partner-b")
    with a.db.write() as session:
        session.scalars(select(Invitation)).one().expires_at = utcnow() - timedelta(seconds=1)
    before_b = snapshot(b)
    with pytest.raises(Invalid, match="refused the key"):
        join(b, a, key, "coalition-a")
    assert snapshot(b) == before_b


def test_unreachable_url_is_one_clear_error(b: Site) -> None:
    before = snapshot(b)
    with httpx.Client(timeout=5) as http, pytest.raises(Invalid, match="cannot reach"):
        connect(
            b.db,
            "test",
            "nowhere",
            "http://127.0.0.1:9",
            "inv_x",
            NodeKey.generate().fingerprint(),
            b.url,
            http,
        )
    assert snapshot(b) == before


def test_name_clashes_are_refused_before_anything_is_sent(a: Site, b: Site) -> None:
    with pytest.raises(Conflict, match="node named"):
        invite(a, a.name)
    with b.db.write() as session:
        session.add(Node(name="coalition-a", is_local=False))
    key = invite(a, "partner-b")
    before_a = snapshot(a)
    with pytest.raises(Conflict, match="coalition-a"):
        join(b, a, key, "coalition-a")
    assert snapshot(a) == before_a
    with a.db.read() as session:
        assert session.scalars(select(Invitation.used_at)).one() is None


def test_a_refused_handshake_rolls_back_the_joiner(a: Site, b: Site) -> None:
    key = invite(a, "partner-b")
    # Between invitation and handshake, A came to know another node by that name.
    with a.db.write() as session:
        session.add(Node(name="partner-b", is_local=False))
    before_b = snapshot(b)
    with pytest.raises(Invalid, match="409"):
        join(b, a, key, "coalition-a")
    assert snapshot(b) == before_b
    with b.db.read() as session, pytest.raises(NotFound):
        find_node(session, "coalition-a")


def _handshake(b: Site, to: str, signer: NodeKey) -> dict[str, Any]:
    with b.db.read() as session:
        node = info_to_json(node_info(session))
    return sign({"to": to, "node": node, "url": b.url, "api_key": "acc_x"}, signer)


def test_a_forged_or_misaddressed_handshake_is_refused(a: Site, b: Site) -> None:
    key = invite(a, "partner-b")
    with a.client() as http:
        _check_forgeries(a, b, key, http)


def _check_forgeries(a: Site, b: Site, key: str, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    forged = _handshake(b, a.node_id, NodeKey.generate())
    r = http.post("/api/v1/node/handshake", json=forged, headers=headers)
    assert r.status_code == 422, r.text
    assert "not signed" in r.json()["detail"]
    elsewhere = _handshake(b, b.node_id, b.key)
    r = http.post("/api/v1/node/handshake", json=elsewhere, headers=headers)
    assert r.status_code == 422
    assert "another node" in r.json()["detail"]
    tampered = _handshake(b, a.node_id, b.key) | {"url": "http://attacker.test"}
    assert http.post("/api/v1/node/handshake", json=tampered, headers=headers).status_code == 422
    with a.db.read() as session:
        assert peers(session) == []
        assert session.scalars(select(Invitation.used_at)).one() is None
    genuine = _handshake(b, a.node_id, b.key)
    assert http.post("/api/v1/node/handshake", json=genuine, headers=headers).status_code == 200
    again = http.post("/api/v1/node/handshake", json=genuine, headers=headers)
    assert again.status_code == 403


def test_a_node_two_hops_away_is_learned_with_its_key_and_organizations(
    a: Site, b: Site, c: Site
) -> None:
    join(b, a, invite(a, "partner-b"), "coalition-a")
    join(c, b, invite(b, "third-c"), "partner-b")
    with c.db.read() as session:
        assert [n.id for n in peers(session)] == [b.node_id]
        relayed = session.get(RelayedNode, a.node_id)
        assert relayed is not None
        assert relayed.via_node_id == b.node_id
        node_a = session.get(Node, a.node_id)
        assert node_a is not None
        assert node_a.public_key == a.key.public_text()
        a_org = session.get(Organization, a.org.id)
        assert a_org is not None
        assert a_org.node_id == a.node_id
        with pytest.raises(NotFound):
            find_node(session, a.node_id)  # no agreement can be made with a relayed node
    # B's directory names A for C (A learns of C by `accord node refresh`).
    with b.client() as http:
        body = http.get("/api/v1/node", headers=b.admin.headers).json()
    assert {n["id"] for n in body["nodes"]} == {a.node_id, c.node_id}

    # Connecting directly makes the relayed node a peer.
    join(c, a, invite(a, "third-c"), "coalition-a")
    with c.db.read() as session:
        assert session.get(RelayedNode, a.node_id) is None
        assert find_node(session, "coalition-a").id == a.node_id


def test_a_peer_cannot_replace_known_keys_through_its_directory(a: Site, b: Site) -> None:
    join(b, a, invite(a, "partner-b"), "coalition-a")
    impostor_key = NodeKey.generate().public_text()
    newcomer_key = NodeKey.generate()
    directory = [
        # B claims A's own id and B's id with other keys: both are ignored.
        PeerInfo(a.node_id, "node-a", impostor_key, []),
        PeerInfo(b.node_id, "node-b", impostor_key, []),
        # An entry with no valid key is left out; a good one is learned.
        PeerInfo(str(uuid.uuid4()), "broken", "not-a-key", []),
        PeerInfo(
            str(uuid.uuid4()),
            "partner-b",  # a name taken here: told apart by the id
            newcomer_key.public_text(),
            [RemoteOrg(str(uuid.uuid4()), a.org.name, "NC", "partner")],
        ),
    ]
    with a.db.write() as session:
        via = find_node(session, "partner-b")
        learned = learn_nodes(session, "test", via, directory)
        assert [n.id for n in learned] == [directory[3].id]
        assert learned[0].name == f"partner-b ({directory[3].id[:8]})"
        org = session.get(Organization, directory[3].organizations[0].id)
        assert org is not None
        assert org.name != a.org.name
        b_node = session.get(Node, b.node_id)
        assert b_node is not None
        assert b_node.public_key == b.key.public_text()
    forged = PeerInfo(b.node_id, "node-b", impostor_key, [])
    with a.db.write() as session:
        via = find_node(session, "partner-b")
        with pytest.raises(Invalid, match="another node's identity or key"):
            refresh_directory(session, "test", via, forged)


def test_node_refresh_brings_the_peers_new_organizations_and_nodes(
    a: Site, b: Site, c: Site
) -> None:
    join(b, a, invite(a, "partner-b"), "coalition-a")
    join(c, b, invite(b, "third-c"), "partner-b")
    with b.db.write() as session:
        create_organization(session, "test", "Partner Liaison Office", "PB", OrgKind.PARTNER)
    with httpx.Client(timeout=30) as http:
        learned = refresh(a.db, "test", "partner-b", http)
    assert [n.id for n in learned] == [c.node_id]  # C joined B after B joined A
    with a.db.read() as session:
        names = set(
            session.scalars(select(Organization.name).where(Organization.node_id == b.node_id))
        )
        relayed = session.get(RelayedNode, c.node_id)
    assert names == {b.org.name, "Partner Liaison Office"}
    assert relayed is not None
    assert relayed.via_node_id == b.node_id
