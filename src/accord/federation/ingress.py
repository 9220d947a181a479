"""What a peer node may bring here: every object is checked again on arrival.

Per object, in this order, each with its own reason when it fails: Accord's travelling
extension is there and names the origin node; the origin is a node registered here
with a key (the sender itself, or a node it relays for that this node knows); the
origin's signature verifies over the object's canonical JSON; the object is well-formed
STIX (`check_object`); the owner organization lives on the origin node (an
organization not known here yet is learned from the profile its origin signed); `org`/`node`
never arrive; TLP:RED never arrives; AMBER+STRICT only from its origin; `federation`
only from its origin, stored as `node` (one hop); an agreement with the sender in force
that day, direction receive or both, covers type, TLP and labels; `group` only if the
sharing group is known here (or its signed definition makes it known) and names this
node as a carrier. References to objects that did not cross are not checked: across a
boundary, a report may well point at what one may not receive.

Accepted versions are stored through the ingest module's storage (owned by their
organization, from their origin node), versioned like local ones (the same version is
`exists`); the travelling extension is kept with them so that what may be relayed
travels on with the origin's signature. Refused ones go to `sync_refusals`. The caller
holds one write transaction for the whole call: nothing is half-stored.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db.bulk import bulk_insert
from accord.errors import NotFound
from accord.federation.models import Agreement, Direction, ObjectSignature, SyncRefusal, SyncState
from accord.federation.service import agreements_of, refusal
from accord.federation.signing import NodeKey, provenance, verify_object
from accord.identity.service import principal_for_node
from accord.intel.extension import EXTENSION_ID
from accord.intel.ingest import _store
from accord.intel.models import StixObject
from accord.intel.validation import CheckedObject, Refusal, check_object
from accord.intel.vocabulary import SCO_REQUIRED
from accord.organizations.models import Node, Organization, OrgKind
from accord.organizations.service import local_node
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp

_CHUNK = 500
_COUNTRY = re.compile(r"^[A-Z]{2}$")
NAME_MAX = 200
_SHARING_KEYS = ("extension_type", "distribution", "sharing_group")
_SIGNATURES = cast(Table, ObjectSignature.__table__)


class Outcome(enum.StrEnum):
    STORED = "stored"
    EXISTS = "exists"
    REFUSED = "refused"


@dataclass
class Received:
    index: int
    id: str | None
    version: str | None
    outcome: Outcome
    reason: str | None = None


@dataclass
class ReceiveResult:
    results: list[Received] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def refused(self) -> list[Received]:
        return [r for r in self.results if r.outcome is Outcome.REFUSED]


@dataclass
class _Accepted:
    index: int
    item: CheckedObject
    owner: str
    origin: str
    extension: dict[str, Any]  # as it travelled, signature included
    versioned: bool = False  # the owner held older versions: the new one demotes them


@dataclass
class _Context:
    session: Session
    local: Node
    sender: Node
    principal: Principal
    agreements: Sequence[Agreement]
    moment: datetime
    tolerance: timedelta
    keys: dict[str, NodeKey | None] = field(default_factory=dict)
    owners: dict[str, str | None] = field(default_factory=dict)

    def key_of(self, node_id: str) -> NodeKey | None:
        if node_id not in self.keys:
            node = self.session.get(Node, node_id)
            key = None
            if node is not None and not node.is_local and node.public_key:
                try:
                    key = NodeKey.from_public_text(node.public_key)
                except ValueError:
                    key = None
            self.keys[node_id] = key
        return self.keys[node_id]

    def home_of(self, org_id: str) -> str | None:
        """The node an organization lives on, as this node knows it."""
        if org_id not in self.owners:
            org = self.session.get(Organization, org_id)
            self.owners[org_id] = org.node_id if org is not None else None
        return self.owners[org_id]


def receive(
    session: Session,
    sender_node_id: str,
    objects: Sequence[Any],
    *,
    moment: datetime,
    future_tolerance: timedelta = timedelta(minutes=5),
) -> ReceiveResult:
    """Check and store what a peer sent; `session` is a write transaction."""
    sender = session.get(Node, sender_node_id)
    if sender is None or sender.is_local:
        raise NotFound(f"no peer node {sender_node_id}")
    local = local_node(session)
    ctx = _Context(
        session,
        local,
        sender,
        principal_for_node(session, sender, local.id),
        agreements_of(session, sender.id),
        moment,
        future_tolerance,
    )
    result = ReceiveResult()
    accepted: list[_Accepted] = []
    for index, raw in enumerate(objects):
        try:
            accepted.append(_check(ctx, index, raw))
        except Refusal as exc:
            result.results.append(
                Received(index, _claimed_id(raw), None, Outcome.REFUSED, str(exc))
            )
            continue
        result.results.append(
            Received(index, accepted[-1].item.id, accepted[-1].item.modified, Outcome.STORED)
        )
    _store_accepted(ctx, accepted, result)
    _account(ctx, result)
    return result


def _claimed_id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _check(ctx: _Context, index: int, raw: Any) -> _Accepted:
    if not isinstance(raw, dict):
        raise Refusal("each object must be a JSON object")
    unsigned = Refusal("unsigned: the object carries no origin node and signature")
    extensions = raw.get("extensions")
    if not isinstance(extensions, dict):
        raise unsigned
    ext = extensions.get(EXTENSION_ID)
    origin, signature = provenance(raw) if isinstance(ext, dict) else (None, None)
    if not isinstance(ext, dict) or origin is None or signature is None:
        raise unsigned
    if origin == ctx.local.id:
        raise Refusal("the object claims to originate on this node")
    key = ctx.key_of(origin)
    if key is None:
        raise Refusal(f"unknown origin node {origin}: no key for it here")
    try:
        genuine = verify_object(raw, key)
    except (ValueError, RecursionError):  # no canonical form: numbers beyond JSON's range
        raise Refusal("the object has no canonical JSON form (RFC 8785)") from None
    if not genuine:
        raise Refusal("the origin node's signature does not verify: forged or altered")
    sharing = {k: ext[k] for k in _SHARING_KEYS if k in ext}
    plain = {**raw, "extensions": {**extensions, EXTENSION_ID: sharing}}  # raw stays as sent
    item = check_object(plain, ctx.moment, ctx.tolerance)
    owner, newcomer = _owner(ctx, item, ext, origin)
    _check_sharing(ctx, item, origin)
    reason = refusal(
        ctx.agreements, ctx.moment, Direction.RECEIVE, item.type, int(item.tlp), item.labels
    )
    if reason is not None:
        raise Refusal(reason)
    if item.distribution is Distribution.GROUP:
        _check_group(ctx, item, ext, origin)
    elif item.distribution is Distribution.FEDERATION:
        item.distribution = Distribution.NODE  # one hop: here it stays
    if newcomer is not None:
        _learn(ctx, newcomer)
    return _Accepted(index, item, owner, origin, ext)


def _owner(
    ctx: _Context, item: CheckedObject, ext: dict[str, Any], origin: str
) -> tuple[str, Organization | None]:
    """The owner organization, which must live on the origin node; when it is not known
    here yet, the organization to learn from the profile its origin node signed."""
    owner = ext.get("owner_org")
    creator = item.obj.get("created_by_ref")
    if item.type not in SCO_REQUIRED:
        if not isinstance(creator, str):
            raise Refusal("created_by_ref is required: it names the owner organization")
        from_creator = creator.removeprefix("identity--")
        if owner is not None and owner != from_creator:
            raise Refusal("created_by_ref and the owner organization disagree")
        owner = from_creator
    if not isinstance(owner, str):
        raise Refusal("the object names no owner organization")
    home = ctx.home_of(owner)
    if home is None:
        return owner, _newcomer(ctx, owner, ext.get("owner_profile"), origin)
    if home != origin:
        raise Refusal(f"the owner organization {owner} does not live on the origin node")
    return owner, None


def _newcomer(ctx: _Context, org_id: str, profile: Any, origin: str) -> Organization:
    if not isinstance(profile, dict):
        raise Refusal(f"unknown owner organization {org_id}")
    name, country, kind = profile.get("name"), profile.get("country"), profile.get("kind")
    if not isinstance(name, str) or not 0 < len(name) <= NAME_MAX:
        raise Refusal("the owner organization's profile has no valid name")
    if not isinstance(country, str) or not _COUNTRY.match(country):
        raise Refusal("the owner organization's profile has no two-letter country code")
    try:
        org_kind = OrgKind(str(kind))
    except ValueError:
        raise Refusal("the owner organization's profile has an unknown kind") from None
    if ctx.session.scalars(select(Organization.id).where(Organization.name == name)).first():
        raise Refusal(f"another organization named {name!r} exists here already")
    return Organization(id=org_id, name=name, country=country, kind=org_kind, node_id=origin)


def _learn(ctx: _Context, org: Organization) -> None:
    """A remote organization this node meets first through one of its signed objects."""
    ctx.session.add(org)
    ctx.session.flush()
    ctx.owners[org.id] = org.node_id
    detail = {"name": org.name, "country": org.country, "kind": org.kind.value, "node": org.node_id}
    append(ctx.session, ctx.principal.actor, "org.learn", org.id, detail)


def _check_sharing(ctx: _Context, item: CheckedObject, origin: str) -> None:
    relayed = origin != ctx.sender.id
    if item.distribution in (None, Distribution.ORG, Distribution.NODE):
        shown = item.distribution.value if item.distribution else "none"
        raise Refusal(f"distribution {shown} never leaves its node")
    if item.tlp is Tlp.RED:
        raise Refusal("TLP:RED never leaves its node")
    if relayed and item.tlp is Tlp.AMBER_STRICT:
        raise Refusal("TLP:AMBER+STRICT is not relayed: it came through another node")
    if relayed and item.distribution is Distribution.FEDERATION:
        raise Refusal("distribution federation goes one hop: it came through another node")


def _check_group(ctx: _Context, item: CheckedObject, ext: dict[str, Any], origin: str) -> None:
    assert item.sharing_group is not None
    group = ctx.session.get(SharingGroup, item.sharing_group)
    definition = ext.get("sharing_group_definition")
    if isinstance(definition, dict):
        group = _apply_definition(ctx, item.sharing_group, group, definition, origin)
    if group is None:
        raise Refusal(f"unknown sharing group {item.sharing_group}")
    if ctx.local.id not in {n.id for n in group.nodes}:
        raise Refusal("the sharing group does not name this node as a carrier")


def _ids(definition: dict[str, Any], name: str) -> list[str]:
    value = definition.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refusal(f"the sharing group's definition has no list of {name}")
    return value


def _apply_definition(
    ctx: _Context,
    group_id: str,
    group: SharingGroup | None,
    definition: dict[str, Any],
    origin: str,
) -> SharingGroup | None:
    """Learn a group from its signed definition, or follow its owner's node's changes.

    An unknown group is created when its definition names this node as a carrier; a
    known one changes only on the word of the node its owner organization lives on.
    Member organizations and nodes unknown here are left out: they have nobody here.
    """
    owner = definition.get("owner_org")
    name = definition.get("name")
    if not isinstance(owner, str) or not isinstance(name, str) or not name:
        raise Refusal("the sharing group's definition names no owner or no name")
    orgs, nodes = _ids(definition, "organizations"), _ids(definition, "nodes")
    if group is None:
        if ctx.local.id not in nodes or ctx.home_of(owner) is None:
            return None
        group = SharingGroup(id=group_id, name=name[:200], owner_org_id=owner)
        ctx.session.add(group)
        action = "group.learn"
    elif group.owner_org_id == owner and ctx.home_of(owner) == origin:
        action = "group.follow"
    else:
        return group
    members = list(ctx.session.scalars(select(Organization).where(Organization.id.in_(orgs))))
    carriers = list(ctx.session.scalars(select(Node).where(Node.id.in_(nodes))))
    if (
        action == "group.follow"
        and {m.id for m in group.members} == {m.id for m in members}
        and {n.id for n in group.nodes} == {n.id for n in carriers}
    ):
        return group
    group.members = members
    group.nodes = carriers
    ctx.session.flush()
    append(
        ctx.session,
        ctx.principal.actor,
        action,
        group_id,
        {"members": sorted(m.id for m in members), "nodes": sorted(n.id for n in carriers)},
    )
    return group


def _store_accepted(ctx: _Context, accepted: list[_Accepted], result: ReceiveResult) -> None:
    """Version checks, then storage in rounds: each id at most once per round."""
    held = _held(ctx.session, sorted({a.item.id for a in accepted}))
    rounds: list[list[_Accepted]] = []
    placed: dict[str, int] = {}
    for a in accepted:
        reason = _version_refusal(a, held)
        if reason == "exists":
            result.results[a.index].outcome = Outcome.EXISTS
            continue
        if reason is not None:
            _refuse(result, a.index, reason)
            continue
        versions = held.setdefault(a.item.id, {}).setdefault(a.owner, set())
        a.versioned = bool(versions)
        versions.add(a.item.modified or "")
        number = placed.get(a.item.id, -1) + 1
        placed[a.item.id] = number
        if number == len(rounds):
            rounds.append([])
        rounds[number].append(a)
    for batch in rounds:
        _store_round(ctx, batch, result)


def _held(session: Session, ids: list[str]) -> dict[str, dict[str, set[str]]]:
    """id -> owner -> versions stored here."""
    held: dict[str, dict[str, set[str]]] = {}
    o = StixObject
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(o.stix_id, o.owner_org_id, o.modified).where(
                o.stix_id.in_(ids[start : start + _CHUNK])
            )
        )
        for stix_id, owner, modified in rows:
            held.setdefault(stix_id, {}).setdefault(owner, set()).add(modified)
    return held


def _version_refusal(a: _Accepted, held: dict[str, dict[str, set[str]]]) -> str | None:
    """'exists', a reason to refuse, or None to store."""
    by_owner = held.get(a.item.id, {})
    own = by_owner.get(a.owner, set())
    others = set(by_owner) - {a.owner}
    if a.item.modified is None:  # an observable: each holder keeps its own copy
        return "exists" if own else None
    if a.item.modified in own:
        return "exists"
    if others:
        return "this id belongs to an object of another organization"
    if own and a.item.modified < max(own):
        return f"modified {a.item.modified} is older than the stored version {max(own)}"
    return None


def _refuse(result: ReceiveResult, index: int, reason: str) -> None:
    result.results[index].outcome = Outcome.REFUSED
    result.results[index].reason = reason


def _store_round(ctx: _Context, batch: list[_Accepted], result: ReceiveResult) -> None:
    by_source: dict[tuple[str, str], list[_Accepted]] = {}
    for a in batch:
        by_source.setdefault((a.owner, a.origin), []).append(a)
    for (owner, origin), group in by_source.items():
        versioned = {a.item.id for a in group if a.versioned}
        rows = _store(
            ctx.session,
            ctx.principal,
            [a.item for a in group],
            versioned,
            True,
            ctx.moment,
            owner_org_id=owner,
            origin_node_id=origin,
        )
        bulk_insert(
            ctx.session,
            _SIGNATURES,
            [
                {
                    "stix_id": row["stix_id"],
                    "modified": row["modified"],
                    "extension": orjson.dumps(a.extension).decode(),
                }
                for a, row in zip(group, rows, strict=True)
            ],
        )
        for a, row in zip(group, rows, strict=True):
            result.results[a.index].version = row["modified"]


def _account(ctx: _Context, result: ReceiveResult) -> None:
    session = ctx.session
    for r in result.refused:
        session.add(
            SyncRefusal(
                node_id=ctx.sender.id,
                at=ctx.moment,
                direction=Direction.RECEIVE.value,
                object_id=(r.id or "")[:128],
                version=(r.version or "")[:40],
                reason=r.reason or "",
            )
        )
    state = session.get(SyncState, ctx.sender.id)
    if state is None:
        state = SyncState(node_id=ctx.sender.id, received=0, sent=0, refused=0)
        session.add(state)
    state.received += result.count(Outcome.STORED)
    state.refused += len(result.refused)
    session.flush()
