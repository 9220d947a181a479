"""Node identity, peers and agreements (the legal framework as data). All audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.federation.models import (
    Agreement,
    Direction,
    NodeSecret,
    Peer,
    RelayedNode,
    SyncRefusal,
    SyncState,
)
from accord.federation.signing import NodeKey, fingerprint_of, normalize_fingerprint
from accord.identity.models import ApiKey
from accord.identity.passwords import api_key_hash, generate_api_key
from accord.organizations.models import Node, Organization, OrgKind
from accord.organizations.service import local_node
from accord.sharing.principal import Principal
from accord.sharing.rules import can_manage_federation
from accord.sharing.tlp import Tlp

NAME_MAX = 200
COUNTRY_LENGTH = 2  # ISO 3166 alpha-2


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
    """What a node says of itself at GET /api/v1/node; `nodes` are the others it knows."""

    id: str
    name: str
    public_key: str
    organizations: Sequence[RemoteOrg]
    nodes: Sequence[PeerInfo] = ()


def node_info(session: Session) -> PeerInfo:
    """This node's directory entry: itself, its organizations, and every node it knows.

    The known nodes' keys let a node two hops away verify the origin signature of
    objects relayed to it.
    """
    node, _key = local_key(session)
    known = session.scalars(
        select(Node)
        .where(Node.is_local.is_(False), Node.public_key.is_not(None))
        .order_by(Node.name)
    )
    return PeerInfo(
        node.id,
        node.name,
        node.public_key or "",
        _orgs_of(session, node.id),
        [PeerInfo(n.id, n.name, n.public_key or "", _orgs_of(session, n.id)) for n in known],
    )


def _orgs_of(session: Session, node_id: str) -> list[RemoteOrg]:
    orgs = session.scalars(
        select(Organization).where(Organization.node_id == node_id).order_by(Organization.name)
    )
    return [RemoteOrg(o.id, o.name, o.country, o.kind.value) for o in orgs]


def add_peer(
    session: Session,
    actor: str,
    info: PeerInfo,
    url: str,
    api_key: str,
    fingerprint: str,
    *,
    name: str | None = None,
) -> Node:
    """Register a peer whose key matches the fingerprint its operator gave out of band.

    `name` is what this node calls the peer (its own name by default). A node known so
    far only through another peer's directory becomes a direct peer, with the key the
    fingerprint vouches for.
    """
    actual = _checked_fingerprint(info.public_key, fingerprint)
    name = check_node_name(name if name is not None else info.name)
    node = session.get(Node, info.id)
    if node is not None and node.is_local:
        raise Invalid("that is this node itself, not a peer")
    if node is not None and session.get(Peer, node.id) is not None:
        raise Conflict(f"node {info.id} is a peer already (named {node.name!r} here)")
    if session.scalars(select(Node.id).where(Node.name == name, Node.id != info.id)).first():
        raise Conflict(f"a node named {name!r} is known already")
    if node is None:
        node = Node(id=info.id, name=name, is_local=False, url=url, public_key=info.public_key)
        session.add(node)
    else:
        _promote(session, node, name, url, info.public_key)
    session.flush()
    session.add(Peer(node_id=node.id, url=url.rstrip("/") + "/", api_key=api_key))
    _add_orgs(session, node, _checked_orgs(session, info.organizations, strict=True))
    append(
        session,
        actor,
        "node.add",
        node.id,
        {
            "name": name,
            "url": url,
            "fingerprint": actual,
            "organizations": sorted(o.id for o in info.organizations),
        },
    )
    return node


def _checked_fingerprint(public_key: str, fingerprint: str) -> str:
    expected = normalize_fingerprint(fingerprint)
    try:
        actual = fingerprint_of(public_key)
        NodeKey.from_public_text(public_key)
    except ValueError:
        raise Invalid("the peer sent no valid public key") from None
    if expected != actual:
        raise Invalid(f"the peer's key has fingerprint {actual}, not {expected}: not added")
    return actual


def check_node_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise Invalid(f"a node name must be 1 to {NAME_MAX} characters")
    return name


def _promote(session: Session, node: Node, name: str, url: str, public_key: str) -> None:
    """A relayed node becomes a direct peer; the key its operator vouched for wins."""
    relayed = session.get(RelayedNode, node.id)
    if relayed is not None:
        session.delete(relayed)
    node.name, node.url, node.public_key = name, url, public_key


def _checked_orgs(
    session: Session, orgs: Sequence[RemoteOrg], *, strict: bool
) -> list[Organization]:
    """New organizations to register, all validated before any is added.

    Strict (a peer its operator is adding): a name clash is an error. Otherwise (a
    directory learned through a peer) the clashing name is told apart by the id.
    """
    new: dict[str, Organization] = {}
    for org in orgs:
        if org.id in new or session.get(Organization, org.id) is not None:
            continue
        try:
            kind = OrgKind(org.kind)
        except ValueError:
            raise Invalid(f"the peer sent an unknown organization kind {org.kind!r}") from None
        if not org.name.strip() or len(org.country) != COUNTRY_LENGTH:
            raise Invalid(f"the peer sent an organization without name or country: {org.id}")
        name = org.name.strip()[:NAME_MAX]
        taken = {o.name for o in new.values()}
        if (
            name in taken
            or session.scalars(select(Organization.id).where(Organization.name == name)).first()
        ):
            if strict:
                raise Conflict(f"an organization named {name!r} exists here already")
            name = f"{name[: NAME_MAX - 11]} ({org.id[:8]})"
        new[org.id] = Organization(id=org.id, name=name, country=org.country.upper(), kind=kind)
    return list(new.values())


def _add_orgs(session: Session, node: Node, orgs: Sequence[Organization]) -> None:
    for org in orgs:
        org.node_id = node.id
        session.add(org)
    session.flush()


def learn_nodes(session: Session, actor: str, via: Node, infos: Sequence[PeerInfo]) -> list[Node]:
    """Register the nodes a peer's directory names that this node does not know yet.

    A relayed node has no Peer row (nothing is pulled from or pushed to it); its key
    only verifies the origin signature of objects that travel on to this node. A
    known node's key is never replaced by what a peer says; an entry with an invalid
    key or organization is left out, and the rest is learned.
    """
    local_id = local_node(session).id
    learned = []
    for info in infos:
        if info.id in (local_id, via.id) or session.get(Node, info.id) is not None:
            continue
        try:
            fingerprint = fingerprint_of(info.public_key)
            NodeKey.from_public_text(info.public_key)
            orgs = _checked_orgs(session, info.organizations, strict=False)
        except (ValueError, Invalid):
            continue
        node = Node(
            id=info.id,
            name=_free_node_name(session, info),
            is_local=False,
            public_key=info.public_key,
        )
        session.add(node)
        session.flush()
        session.add(RelayedNode(node_id=node.id, via_node_id=via.id))
        _add_orgs(session, node, orgs)
        append(
            session,
            actor,
            "node.learn",
            node.id,
            {"name": node.name, "via": via.id, "fingerprint": fingerprint},
        )
        learned.append(node)
    return learned


def _free_node_name(session: Session, info: PeerInfo) -> str:
    name = info.name.strip()[:NAME_MAX] or info.id
    if session.scalars(select(Node.id).where(Node.name == name)).first():
        name = f"{name[: NAME_MAX - 11]} ({info.id[:8]})"
    return name


def refresh_directory(session: Session, actor: str, peer: Node, info: PeerInfo) -> list[Node]:
    """What a peer's GET /api/v1/node says now: its new organizations and the nodes it knows.

    Refuses a directory whose key is not the one this node has for the peer.
    """
    if info.id != peer.id or info.public_key != peer.public_key:
        raise Invalid(f"{peer.name} answered with another node's identity or key")
    orgs = _checked_orgs(session, info.organizations, strict=False)
    _add_orgs(session, peer, orgs)
    if orgs:
        append(session, actor, "node.orgs", peer.id, {"organizations": sorted(o.id for o in orgs)})
    return learn_nodes(session, actor, peer, info.nodes)


def find_node(session: Session, name_or_id: str) -> Node:
    """A direct peer by name or id (a node known only through a peer is not one)."""
    node = session.scalars(
        select(Node).join(Peer).where((Node.name == name_or_id) | (Node.id == name_or_id))
    ).first()
    if node is None:
        raise NotFound(f"no peer node named {name_or_id!r}")
    return node


def remove_peer(session: Session, actor: str, node: Node) -> None:
    """Stop federating with a direct peer: it becomes a node known by name and key only.

    Its agreements in force end, the node API keys issued to it are revoked, and its
    URL, key and sync state go. Its organizations and the objects already received from
    it stay (their owners and provenance still point at them); re-adding it later, or
    retrying a handshake that failed halfway, starts afresh.
    """
    peer = session.get(Peer, node.id)
    if peer is None or node.is_local:
        raise NotFound(f"no peer node named {node.name!r}")
    now = utcnow()
    ended = list(
        session.scalars(
            select(Agreement.id).where(Agreement.node_id == node.id, Agreement.ended_at.is_(None))
        )
    )
    session.execute(update(Agreement).where(Agreement.id.in_(ended)).values(ended_at=now))
    revoked = list(
        session.scalars(
            select(ApiKey.id).where(ApiKey.node_id == node.id, ApiKey.revoked_at.is_(None))
        )
    )
    session.execute(update(ApiKey).where(ApiKey.id.in_(revoked)).values(revoked_at=now))
    session.execute(delete(SyncState).where(SyncState.node_id == node.id))
    # What was withheld from it is a status, checked again from the start if it returns.
    session.execute(
        delete(SyncRefusal).where(
            SyncRefusal.node_id == node.id, SyncRefusal.direction == Direction.SEND.value
        )
    )
    session.delete(peer)
    session.flush()
    append(
        session,
        actor,
        "node.remove",
        node.id,
        {"name": node.name, "agreements_ended": sorted(ended), "api_keys_revoked": sorted(revoked)},
    )


def peers(session: Session) -> list[Node]:
    return list(session.scalars(select(Node).join(Peer).order_by(Node.name)))


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
    _reset_cursors(session, node.id, direction)
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


def _reset_cursors(session: Session, node_id: str, direction: Direction) -> None:
    """A new agreement may let older objects cross: offer or read them all again.

    Sending: push starts over (the peer answers `exists` for what it has), and so does
    the review of the sending rules (egress.review_page): what they kept from the peer
    is forgotten and checked again under the agreements now. Receiving: the next pull
    reads the peer's collection from the beginning, as `--full` does.
    """
    state = session.get(SyncState, node_id)
    if state is None:
        return
    if direction in (Direction.SEND, Direction.BOTH):
        reset_sending(session, state)
    if direction in (Direction.RECEIVE, Direction.BOTH):
        state.cursor = None


def reset_sending(session: Session, state: SyncState) -> None:
    """Offer everything to the peer again and check the sending rules on it again:
    push and review cursors back to the start, what was withheld forgotten."""
    state.push_cursor = None
    state.review_cursor = None
    state.withheld = 0
    state.withheld_reasons = None
    session.execute(
        delete(SyncRefusal).where(
            SyncRefusal.node_id == state.node_id, SyncRefusal.direction == Direction.SEND.value
        )
    )


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


# --- administration (REST) ----------------------------------------------------------------


def admin_actor(principal: Principal) -> str:
    """The audit name of a node admin; anyone else may not manage federation."""
    if not can_manage_federation(principal):
        raise Forbidden("only a node admin may manage peers and agreements")
    return principal.actor


@dataclass(frozen=True)
class PeerStatus:
    node: Node
    peer: Peer
    organizations: Sequence[RemoteOrg]
    sync: SyncState | None


def peer_statuses(session: Session) -> list[PeerStatus]:
    """Every direct peer with its organizations and what its syncs did."""
    rows = session.execute(
        select(Node, Peer, SyncState)
        .join(Peer, Peer.node_id == Node.id)
        .outerjoin(SyncState, SyncState.node_id == Node.id)
        .order_by(Node.name)
    )
    return [PeerStatus(n, p, _orgs_of(session, n.id), st) for n, p, st in rows]


def refusals_of(
    session: Session,
    node: Node,
    limit: int,
    before: tuple[datetime, str] | None = None,
    direction: Direction | None = None,
) -> list[SyncRefusal]:
    """A peer's refused objects, newest first, `limit` of them after the cursor `before`;
    only those of one side (`send`: kept from the peer, `receive`: refused from it)."""
    query = select(SyncRefusal).where(SyncRefusal.node_id == node.id)
    if direction is not None:
        query = query.where(SyncRefusal.direction == direction.value)
    if before is not None:
        at, refusal_id = before
        query = query.where(
            (SyncRefusal.at < at) | ((SyncRefusal.at == at) & (SyncRefusal.id < refusal_id))
        )
    query = query.order_by(SyncRefusal.at.desc(), SyncRefusal.id.desc()).limit(limit)
    return list(session.scalars(query))
