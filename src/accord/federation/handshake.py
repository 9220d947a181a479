"""Connecting two nodes: a one-time invitation, then one signed exchange of keys.

On node A the operator makes an invitation (`accord node invite NAME`) and hands its
key, A's URL and A's fingerprint to B's operator out of band. On node B,
`accord node add` fetches A's directory with the invitation key, checks A's key
against the fingerprint, registers A, issues a node key for A and posts the
handshake: B's directory, B's URL and that key, signed with B's node key. A checks
the signature, registers B under the invitation's name, spends the invitation and
answers with the node key it issued for B, signed with A's node key. B stores it
and commits; if anything fails, B's transaction rolls back and nothing of A stays.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import rfc8785
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db import Database
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid
from accord.federation.models import Invitation, Peer
from accord.federation.service import (
    PeerInfo,
    RemoteOrg,
    add_peer,
    check_node_name,
    find_node,
    issue_node_key,
    learn_nodes,
    local_key,
    node_info,
    refresh_directory,
)
from accord.federation.signing import NodeKey
from accord.identity.passwords import api_key_hash
from accord.organizations.models import Node

INVITATION_PREFIX = "inv_"
INVITATION_DAYS = 7
NODE_PATH = "api/v1/node"
HANDSHAKE_PATH = "api/v1/node/handshake"
TIMEOUT_SECONDS = 30.0
KEY_MAX = 200
TEXT_MAX = 2000


# Unknown, spent or expired: the three are never told apart.
BAD_INVITATION = "the invitation key is unknown, used or expired"


# --- invitations (node A) -----------------------------------------------------------------


def create_invitation(session: Session, actor: str, name: str, days: int = INVITATION_DAYS) -> str:
    """A one-time key for the peer this node will call `name`; only its hash is kept."""
    name = check_node_name(name)
    if days < 1:
        raise Invalid("an invitation must be valid for at least one day")
    # A removed peer keeps its name (its organizations stay): it may be invited again.
    taken = Node.is_local.is_(True) | Peer.node_id.is_not(None)
    if session.scalars(select(Node.id).outerjoin(Peer).where(Node.name == name, taken)).first():
        raise Conflict(f"a node named {name!r} is known already")
    if session.scalars(select(Invitation.id).where(*_pending(), Invitation.name == name)).first():
        raise Conflict(f"an invitation for {name!r} is pending already")
    key = INVITATION_PREFIX + secrets.token_urlsafe(32)
    invitation = Invitation(
        name=name,
        prefix=key[:12],
        key_hash=api_key_hash(key),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    append(
        session,
        actor,
        "node.invite",
        invitation.id,
        {"name": name, "prefix": invitation.prefix, "expires": invitation.expires_at.isoformat()},
    )
    return key


def _pending() -> tuple[Any, ...]:
    return (Invitation.used_at.is_(None), Invitation.expires_at > utcnow())


def live_invitation(session: Session, key: str) -> Invitation | None:
    """The pending invitation of this key, or None."""
    if not key.startswith(INVITATION_PREFIX) or len(key) > KEY_MAX:
        return None
    return session.scalars(
        select(Invitation).where(Invitation.key_hash == api_key_hash(key), *_pending())
    ).first()


def accept(session: Session, key: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """Node A's side: check and answer a handshake, in the caller's write transaction."""
    invitation = live_invitation(session, key)
    if invitation is None:
        raise Forbidden(BAD_INVITATION)
    local, local_signing = local_key(session)
    if message.get("to") != local.id:
        raise Invalid("the handshake is addressed to another node")
    info = info_from_json(message.get("node"))
    if not verify(message, NodeKey.from_public_text(info.public_key)):
        raise Invalid("the handshake is not signed by the key it carries")
    url, api_key = _text(message, "url"), _text(message, "api_key")
    _check_url(url)
    actor = f"invitation:{invitation.prefix}"
    node = add_peer(
        session,
        actor,
        info,
        url,
        api_key,
        NodeKey.from_public_text(info.public_key).fingerprint(),
        name=invitation.name,
    )
    learn_nodes(session, actor, node, info.nodes)
    secret = issue_node_key(session, actor, node)
    invitation.used_at, invitation.node_id = utcnow(), node.id
    append(session, actor, "node.handshake", node.id, {"invitation": invitation.id})
    answer = {
        "to": node.id,
        "node": info_to_json(node_info(session), omit=node.id),
        "api_key": secret,
    }
    return sign(answer, local_signing)


# --- connecting (node B) ------------------------------------------------------------------


def connect(
    db: Database,
    actor: str,
    name: str,
    url: str,
    key: str,
    fingerprint: str,
    public_url: str,
    http: httpx.Client,
) -> Node:
    """Node B's side: register the peer at `url` and exchange node keys with it, or nothing."""
    _check_url(url)
    _check_url(public_url)
    base = url.rstrip("/") + "/"
    info = info_from_json(_call(http, "GET", base + NODE_PATH, key))
    peer_key = NodeKey.from_public_text(info.public_key)
    with db.write() as session:
        node = add_peer(session, actor, info, base, "", fingerprint, name=name)
        learn_nodes(session, actor, node, info.nodes)
        local, local_signing = local_key(session)
        message = {
            "to": info.id,
            "node": info_to_json(node_info(session), omit=info.id),
            "url": public_url,
            "api_key": issue_node_key(session, actor, node),
        }
        answer = _call(http, "POST", base + HANDSHAKE_PATH, key, sign(message, local_signing))
        if not verify(answer, peer_key) or answer.get("to") != local.id:
            raise Invalid(f"{url} answered the handshake without {info.name}'s signature")
        if info_from_json(answer.get("node")).id != info.id:
            raise Invalid(f"{url} answered the handshake as another node")
        peer = session.get(Peer, node.id)
        assert peer is not None
        peer.api_key = _text(answer, "api_key")
        append(session, actor, "node.handshake", node.id, {"url": base})
    return node


def refresh(db: Database, actor: str, name: str, http: httpx.Client) -> list[Node]:
    """Read a peer's directory again: its new organizations and the nodes it knows now.

    Returns the nodes learned; a peer that answers with another key is refused.
    """
    with db.read() as session:
        node = find_node(session, name)
        peer = session.get(Peer, node.id)
        assert peer is not None  # find_node finds peers only
        url, api_key = peer.url, peer.api_key
    info = info_from_json(_call(http, "GET", url + NODE_PATH, api_key))
    with db.write() as session:
        return refresh_directory(session, actor, find_node(session, name), info)


def _call(
    http: httpx.Client, method: str, url: str, key: str, body: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    try:
        response = http.request(method, url, json=body, headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        raise Invalid(f"cannot reach {url}: {exc}") from None
    if response.status_code in (401, 403):
        raise Invalid(f"{url} refused the key: {_detail(response)}")
    if response.status_code != 200:
        raise Invalid(f"{url} answered {response.status_code}: {_detail(response)}")
    try:
        data = response.json()
    except ValueError:
        raise Invalid(f"{url} did not answer with JSON: is it an Accord node?") from None
    if not isinstance(data, dict):
        raise Invalid(f"{url} did not answer with a JSON object: is it an Accord node?")
    return data


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.reason_phrase


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"{url!r} is not an http(s) URL")


# --- the signed messages ------------------------------------------------------------------


def sign(message: Mapping[str, Any], key: NodeKey) -> dict[str, Any]:
    """The message with `signature`: Ed25519 over its RFC 8785 canonical JSON without it."""
    unsigned = {k: v for k, v in message.items() if k != "signature"}
    return {**unsigned, "signature": key.sign(rfc8785.dumps(unsigned))}


def verify(message: Mapping[str, Any], key: NodeKey) -> bool:
    signature = message.get("signature")
    unsigned = {k: v for k, v in message.items() if k != "signature"}
    return isinstance(signature, str) and key.verify(rfc8785.dumps(unsigned), signature)


def info_to_json(info: PeerInfo, omit: str | None = None) -> dict[str, Any]:
    """This node's directory entry as JSON; `omit` leaves out the node it is sent to."""
    return {**_entry(info), "nodes": [_entry(n) for n in info.nodes if n.id != omit]}


def _entry(info: PeerInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "public_key": info.public_key,
        "fingerprint": NodeKey.from_public_text(info.public_key).fingerprint(),
        "organizations": [
            {"id": o.id, "name": o.name, "country": o.country, "kind": o.kind}
            for o in info.organizations
        ],
    }


def info_from_json(data: object, *, relayed: bool = False) -> PeerInfo:
    """A directory entry a peer sent, checked field by field.

    The nodes a peer knows are listed one level deep: their own `nodes` must be empty.
    """
    if not isinstance(data, dict):
        raise Invalid("the peer sent no node description")
    public_key = _text(data, "public_key")
    try:
        NodeKey.from_public_text(public_key)
    except ValueError:
        raise Invalid("the peer sent no valid public key") from None
    orgs = data.get("organizations", [])
    nodes = data.get("nodes", [])
    if not isinstance(orgs, list) or not isinstance(nodes, list):
        raise Invalid("the peer's organizations and nodes must be lists")
    if relayed and nodes:
        raise Invalid("the peer listed the nodes of a node it knows: one level only")
    return PeerInfo(
        id=_uuid(data, "id"),
        name=_text(data, "name"),
        public_key=public_key,
        organizations=[_org_from_json(o) for o in orgs],
        nodes=[info_from_json(n, relayed=True) for n in nodes],
    )


def _org_from_json(data: object) -> RemoteOrg:
    if not isinstance(data, dict):
        raise Invalid("the peer sent an organization that is not an object")
    return RemoteOrg(
        _uuid(data, "id"), _text(data, "name"), _text(data, "country"), _text(data, "kind")
    )


def _text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX:
        raise Invalid(f"the peer's {field} must be a non-empty string")
    return value


def _uuid(data: Mapping[str, Any], field: str) -> str:
    value = _text(data, field)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Invalid(f"the peer's {field} must be a UUID, not {value[:60]!r}") from None
