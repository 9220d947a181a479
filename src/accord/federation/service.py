"""Node identity, peers and agreements (the legal framework as data). All audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Conflict, Invalid, NotFound
from accord.federation.models import Agreement, Direction, NodeSecret, Peer
from accord.federation.signing import NodeKey, fingerprint_of, normalize_fingerprint
from accord.identity.models import ApiKey
from accord.identity.passwords import api_key_hash, generate_api_key
from accord.organizations.models import Node, Organization, OrgKind
from accord.organizations.service import local_node
from accord.sharing.tlp import Tlp


def ensure_node_key(session: Session, node: Node, actor: str = "system") -> NodeKey:
    """The local node's signing key, made once (at `accord init`)."""
    secret = session.get(NodeSecret, node.id)
    if secret is not None:
        return NodeKey.from_private_text(secret.private_key)
    key = NodeKey.generate()
    session.add(NodeSecret(node_id=node.id, private_key=key.private_text()))
    node.public_key = key.public_text()
    session.flush()
    append(session, actor, "node.key", node.id, {"fingerprint": key.fingerprint()})
    return key


def local_key(session: Session) -> tuple[Node, NodeKey]:
    node = local_node(session)
    secret = session.get(NodeSecret, node.id)
    if secret is None:
        raise NotFound("this node has no signing key yet: run `accord init`")
    return node, NodeKey.from_private_text(secret.private_key)


@dataclass(frozen=True)
class RemoteOrg:
    id: str
    name: str
    country: str
    kind: str


@dataclass(frozen=True)
class PeerInfo:
    """What a peer says of itself at GET /api/v1/node."""

    id: str
    name: str
    public_key: str
    organizations: Sequence[RemoteOrg]


def add_peer(
    session: Session, actor: str, info: PeerInfo, url: str, api_key: str, fingerprint: str
) -> Node:
    """Register a peer whose key matches the fingerprint its operator gave out of band."""
    expected = normalize_fingerprint(fingerprint)
    try:
        actual = fingerprint_of(info.public_key)
    except ValueError:
        raise Invalid("the peer sent no valid public key") from None
    if expected != actual:
        raise Invalid(f"the peer's key has fingerprint {actual}, not {expected}: not added")
    if session.get(Node, info.id) is not None:
        raise Conflict(f"node {info.id} is known already")
    if session.scalars(select(Node.id).where(Node.name == info.name)).first():
        raise Conflict(f"a node named {info.name!r} is known already")
    node = Node(id=info.id, name=info.name, is_local=False, url=url, public_key=info.public_key)
    session.add(node)
    session.flush()
    session.add(Peer(node_id=node.id, url=url.rstrip("/") + "/", api_key=api_key))
    for org in info.organizations:
        if session.get(Organization, org.id) is not None:
            continue
        if session.scalars(select(Organization.id).where(Organization.name == org.name)).first():
            raise Conflict(f"an organization named {org.name!r} exists here already")
        try:
            kind = OrgKind(org.kind)
        except ValueError:
            raise Invalid(f"the peer sent an unknown organization kind {org.kind!r}") from None
        session.add(
            Organization(id=org.id, name=org.name, country=org.country, kind=kind, node_id=node.id)
        )
    session.flush()
    append(
        session,
        actor,
        "node.add",
        node.id,
        {
            "name": info.name,
            "url": url,
            "fingerprint": actual,
            "organizations": sorted(o.id for o in info.organizations),
        },
    )
    return node


def find_node(session: Session, name_or_id: str) -> Node:
    node = session.scalars(
        select(Node).where((Node.name == name_or_id) | (Node.id == name_or_id))
    ).first()
    if node is None or node.is_local:
        raise NotFound(f"no peer node named {name_or_id!r}")
    return node


def peers(session: Session) -> list[Node]:
    return list(session.scalars(select(Node).where(Node.is_local.is_(False)).order_by(Node.name)))


def issue_node_key(session: Session, actor: str, node: Node) -> str:
    """A key the peer uses to read and write here as a node principal (shown once)."""
    secret = generate_api_key()
    key = ApiKey(
        node_id=node.id, name=f"node {node.name}", prefix=secret[:12], key_hash=api_key_hash(secret)
    )
    session.add(key)
    session.flush()
    append(session, actor, "apikey.create", key.id, {"node": node.id, "prefix": key.prefix})
    return secret


# --- agreements ---------------------------------------------------------------------------


def parse_direction(text: str) -> Direction:
    try:
        return Direction(text)
    except ValueError:
        raise Invalid(f"direction must be send, receive or both, not {text!r}") from None


def add_agreement(
    session: Session,
    actor: str,
    node: Node,
    *,
    max_tlp: Tlp,
    types: Sequence[str],
    labels: Sequence[str] = (),
    direction: Direction,
    valid_from: date,
    valid_until: date,
) -> Agreement:
    if node.is_local:
        raise Invalid("an agreement is made with a peer node, not with this node")
    if valid_until < valid_from:
        raise Invalid("the agreement ends before it begins")
    if max_tlp is Tlp.RED:
        raise Invalid(
            "TLP:RED never leaves its node: the highest an agreement may allow is AMBER+STRICT"
        )
    if not types:
        raise Invalid("name the object types the agreement covers (--types report,indicator,...)")
    agreement = Agreement(
        node_id=node.id,
        max_tlp=int(max_tlp),
        types=sorted(set(types)),
        labels=sorted(set(labels)),
        direction=direction.value,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(agreement)
    session.flush()
    append(
        session,
        actor,
        "agreement.add",
        agreement.id,
        {
            "node": node.id,
            "max_tlp": max_tlp.label,
            "types": agreement.types,
            "labels": agreement.labels,
            "direction": direction.value,
            "from": valid_from.isoformat(),
            "until": valid_until.isoformat(),
        },
    )
    return agreement


def end_agreement(session: Session, actor: str, agreement_id: str) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound(f"no agreement {agreement_id}")
    if agreement.ended_at is None:
        agreement.ended_at = utcnow()
        append(session, actor, "agreement.end", agreement.id, {"node": agreement.node_id})
    return agreement


def agreements_of(session: Session, node_id: str | None = None) -> list[Agreement]:
    query = select(Agreement).order_by(Agreement.created_at)
    if node_id:
        query = query.where(Agreement.node_id == node_id)
    return list(session.scalars(query))


def in_force(agreement: Agreement, moment: datetime, direction: Direction) -> bool:
    if agreement.ended_at is not None and agreement.ended_at <= moment:
        return False
    day = moment.date()
    if not agreement.valid_from <= day <= agreement.valid_until:
        return False
    return agreement.direction in (direction.value, Direction.BOTH.value)


def refusal(
    agreements: Sequence[Agreement],
    moment: datetime,
    direction: Direction,
    obj_type: str,
    tlp: int,
    labels: Sequence[str],
) -> str | None:
    """Why no agreement in force lets this object cross, or None when one does."""
    live = [a for a in agreements if in_force(a, moment, direction)]
    if not live:
        return f"no agreement in force to {direction.value} on {moment.date().isoformat()}"
    reasons = []
    for a in live:
        if obj_type not in a.types:
            reasons.append(f"type {obj_type} not covered")
        elif tlp > a.max_tlp:
            reasons.append(f"{Tlp(tlp).label} above the agreed {Tlp(a.max_tlp).label}")
        elif a.labels and not set(a.labels) & set(labels):
            reasons.append(f"none of the labels {', '.join(a.labels)}")
        else:
            return None
    return "; ".join(sorted(set(reasons)))
