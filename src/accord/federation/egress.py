"""What may leave this node for a peer, and the form in which it travels.

Two checks, in this order, decide whether an object version may go to peer node N:
the boundary rules of DESIGN.md section 2 for N's node principal (`can_see` /
`visible_to`: published, never TLP:RED, AMBER+STRICT not relayed, `federation` only
from here, `open`, `group` only when the group names N as a carrier), then the
agreements with N in force that day in direction send or both (type, TLP, labels).
An object never goes back to the node it came from.

What the rules keep from a peer is reported, never silently dropped (`review_page`,
driven by sync.review at every push attempt, backoff or not): the newest published
versions that changed since the peer's review cursor (a local `objects.pk`, the same
window push offers and, in date_added order, a pull reads), checked once each, page by
page, so that the cost is proportional to what changed, never to the whole database.
Each version the rules keep is counted per reason in the peer's sync status; all are
also listed one by one (`sync_refusals`, direction `send`) except, by decision, two
kinds that would only be noise: versions shared `org` or `node` (they never leave by
design: most of a node's own work) and versions withheld because no agreement to send
is in force at all (then everything is, and the reason is the node, not the version);
those are counted only. A version the peer itself sent is not counted: it has it. Drafts
are not in the window (nothing is published yet). A new sending agreement forgets what
was withheld and reviews everything again, as push offers everything again; so does
any widening of the policy in force (`fingerprint`, `widens`; sync.py says when).

On the wire every object carries, in Accord's property extension, its origin node, its
owner organization (id and profile: name, country, kind), for `group` the sharing
group's definition (name, owner, member organizations, carrier nodes: how a peer learns
the group), and the origin node's
signature over all of it (signing.py). That travelling extension is kept per version in
`object_signatures`: made and signed here at first egress for objects that originate
here (made again only if the group's definition changed since), kept exactly as
received for objects relayed from elsewhere, so the origin's signature travels on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, delete, false, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from accord.db import Database
from accord.errors import NotFound
from accord.federation.models import Agreement, Direction, ObjectSignature
from accord.federation.service import agreements_of, in_force, local_key, refusal
from accord.federation.signing import canonical
from accord.identity.service import principal_for_node
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.models import ObjectLabel, StixObject
from accord.organizations.models import Node, Organization
from accord.organizations.service import local_node
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.rules import can_see, visible_to
from accord.sharing.tlp import Tlp

_CHUNK = 500
FROM_PEER = "the object comes from that node"
NO_AGREEMENT = "no agreement in force to send to that node"
NO_SIGNATURE = "a relayed version without its origin's signature cannot travel"
UNEXPLAINED = "the sending rules do not let it go to that node"
PEER_REFUSED = "the peer refused it on arrival"
# Distributions that never leave by design: counted per reason, not listed one by one.
UNLISTED = frozenset({Distribution.ORG.value, Distribution.NODE.value})


@dataclass(frozen=True)
class SendPolicy:
    """What is needed to decide, many times over, what may go to one peer."""

    node_id: str
    principal: Principal
    agreements: Sequence[Agreement]

    @property
    def local_id(self) -> str:
        return self.principal.local_node_id


def policy(session: Session, node_id: str) -> SendPolicy:
    node = session.get(Node, node_id)
    if node is None or node.is_local:
        raise NotFound(f"no peer node {node_id}")
    principal = principal_for_node(session, node, local_node(session).id)
    return SendPolicy(node_id, principal, agreements_of(session, node_id))


def boundary_refusal(principal: Principal, row: StixObject) -> str | None:
    """Why the rules of DESIGN.md section 2 keep this version from the node, or None."""
    if can_see(principal, row):
        return None
    if not row.published:
        return "a draft never leaves its node"
    if row.tlp == Tlp.RED:
        return "TLP:RED never leaves its node"
    relayed = row.origin_node_id != principal.local_node_id
    if relayed and row.tlp == Tlp.AMBER_STRICT:
        return "TLP:AMBER+STRICT is not relayed by a receiving node"
    if row.distribution == Distribution.FEDERATION:
        return "distribution federation goes one hop: it is not relayed"
    if row.distribution == Distribution.GROUP:
        return "the sharing group does not name that node as a carrier"
    return f"distribution {row.distribution} never leaves its node"


def sending_refusal(
    session: Session, node_id: str, row: StixObject, moment: datetime
) -> str | None:
    """Why this object version may not go to the peer node, or None when it may."""
    return refusal_for(session, policy(session, node_id), row, moment)


def refusal_for(
    session: Session, send: SendPolicy, row: StixObject, moment: datetime
) -> str | None:
    if row.origin_node_id == send.node_id:
        return FROM_PEER
    relayed = row.origin_node_id != send.local_id
    signed = not relayed or session.get(ObjectSignature, (row.stix_id, row.modified)) is not None
    labels = list(session.scalars(select(ObjectLabel.label).where(ObjectLabel.object_pk == row.pk)))
    return _why(send, row, signed, labels, moment)


def _why(
    send: SendPolicy, row: Any, signed: bool, labels: list[str], moment: datetime
) -> str | None:
    """Why this version (not from the peer itself) may not go, its labels and whether
    its origin's signature is kept here given; None when it may go."""
    reason = boundary_refusal(send.principal, row)
    if reason is not None:
        return reason
    if row.origin_node_id != send.local_id and not signed:
        return NO_SIGNATURE
    if not any(in_force(a, moment, Direction.SEND) for a in send.agreements):
        return NO_AGREEMENT
    return refusal(send.agreements, moment, Direction.SEND, row.type, row.tlp, labels)


def _covered_by(agreement: Agreement, o: type[StixObject]) -> ColumnElement[bool]:
    # `type || ''` and `tlp + 0`: the same values, but no index on (type, tlp) may
    # drive the listing. Without them SQLite walks `ix_objects_sharing` for the agreed
    # types and sorts every match to find a page in date_added order: each page, the
    # last of an incremental sync included, would cost the whole table.
    parts = [(o.type + literal("")).in_(agreement.types), o.tlp + 0 <= agreement.max_tlp]
    if agreement.labels:
        parts.append(
            select(ObjectLabel.object_pk)
            .where(ObjectLabel.object_pk == o.pk, ObjectLabel.label.in_(agreement.labels))
            .exists()
        )
    return and_(*parts)


def condition_for(
    send: SendPolicy, moment: datetime, o: type[StixObject] = StixObject
) -> ColumnElement[bool]:
    live = [a for a in send.agreements if in_force(a, moment, Direction.SEND)]
    if not live:
        return false()
    local = o.origin_node_id == send.principal.local_node_id
    # A relayed version travels only with the origin's signature, kept when it arrived.
    provenance = (
        select(ObjectSignature.stix_id)
        .where(ObjectSignature.stix_id == o.stix_id, ObjectSignature.modified == o.modified)
        .exists()
    )
    return and_(
        visible_to(send.principal, o),
        o.origin_node_id != send.node_id,
        or_(local, provenance),
        or_(*[_covered_by(a, o) for a in live]),
    )


def sending_condition(
    session: Session, node_id: str, moment: datetime, o: type[StixObject] = StixObject
) -> ColumnElement[bool]:
    """`sending_refusal(...) is None` as a SQL condition on `StixObject`, for listings."""
    return condition_for(policy(session, node_id), moment, o)


# --- the policy in force, and when it widens ---------------------------------------------


def fingerprint(send: SendPolicy, moment: datetime) -> dict[str, Any]:
    """What decides, besides each version itself, whether it may go to the peer at
    `moment`: the sending agreements in force (id -> max TLP, types, labels) and the
    sharing groups that name the peer as a carrier (`visible_to` for its node
    principal). Nothing else about the peer enters `condition_for`; the versions'
    own changes (a new version, publishing) get a new `objects.pk` and are new anyway.

    Cheap: the agreements with the peer are few and already loaded, the groups one
    indexed lookup. As JSON, not a hash, so that `widens` can tell more from less.
    """
    live = [a for a in send.agreements if in_force(a, moment, Direction.SEND)]
    return {
        "agreements": {
            a.id: [int(a.max_tlp), sorted(a.types), sorted(a.labels)]
            for a in sorted(live, key=lambda a: a.id)
        },
        "groups": sorted(send.principal.group_ids),
    }


def widens(before: dict[str, Any] | None, now: dict[str, Any]) -> bool:
    """May something go under `now` that could not under `before`? True when an
    agreement is in force that was not (or with other limits: an edit counts as a
    widening), or a group names the peer as a carrier that did not; unknown `before`
    counts as widened. Only narrowing (an agreement ended or expired, a carrier or
    member removed) is not: nothing new may go, nothing needs offering again."""
    if before is None:
        return True
    old_agreements = before.get("agreements") or {}
    old_groups = set(before.get("groups") or [])
    for agreement_id, limits in (now.get("agreements") or {}).items():
        if old_agreements.get(agreement_id) != limits:
            return True
    return not set(now.get("groups") or []) <= old_groups


# --- what the rules keep from a peer (sending-side refusals) ------------------------------


@dataclass(frozen=True)
class Withheld:
    """A version the sending rules keep from the peer, and why."""

    pk: int
    stix_id: str
    modified: str
    reason: str
    listed: bool
    # The key it is counted under in the peer's sync status (`withheld_reasons`).
    count_as: str = ""

    def __post_init__(self) -> None:
        if not self.count_as:
            object.__setattr__(self, "count_as", self.reason)


def changed_since(session: Session, after: int) -> bool:
    """Is there a newest published version after local `objects.pk` `after`?"""
    o = StixObject
    found = select(o.pk).where(o.pk > after, o.is_latest_published.is_(True)).limit(1)
    return session.scalars(found).first() is not None


def review_page(
    session: Session, send: SendPolicy, after: int, moment: datetime, limit: int = 1000
) -> tuple[int | None, list[Withheld]]:
    """Check the next `limit` newest published versions after local `objects.pk`
    `after` (the changed window push and a peer's pull look at): the last pk looked at
    (None when there is none), and those the rules keep from the node, with reasons.

    A version the peer itself sent is not counted: it has it already.
    """
    o = StixObject
    newest = o.is_latest_published.is_(True)
    window = list(
        session.scalars(select(o.pk).where(o.pk > after, newest).order_by(o.pk).limit(limit))
    )
    if not window:
        return None, []
    last = window[-1]
    allowed = set(
        session.scalars(
            select(o.pk).where(o.pk > after, o.pk <= last, newest, condition_for(send, moment))
        )
    )
    kept = [pk for pk in window if pk not in allowed]
    rows: list[Any] = []
    for start in range(0, len(kept), _CHUNK):
        rows += session.execute(
            select(
                o.pk,
                o.stix_id,
                o.modified,
                o.type,
                o.tlp,
                o.distribution,
                o.sharing_group_id,
                o.owner_org_id,
                o.origin_node_id,
                o.published,
            ).where(o.pk.in_(kept[start : start + _CHUNK]))
        ).all()
    rows = [r for r in rows if r.origin_node_id != send.node_id]
    labels = _labels(session, [r.pk for r in rows])
    signed = _signed(
        session, [(r.stix_id, r.modified) for r in rows if r.origin_node_id != send.local_id]
    )
    out = []
    for row in sorted(rows, key=lambda r: r.pk):
        version = (row.stix_id, row.modified)
        reason = _why(send, row, version in signed, labels.get(row.pk, []), moment)
        listed = row.distribution not in UNLISTED and reason != NO_AGREEMENT
        out.append(Withheld(row.pk, *version, reason or UNEXPLAINED, listed))
    return last, out


def _labels(session: Session, pks: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for start in range(0, len(pks), _CHUNK):
        rows = session.execute(
            select(ObjectLabel.object_pk, ObjectLabel.label).where(
                ObjectLabel.object_pk.in_(pks[start : start + _CHUNK])
            )
        )
        for pk, label in rows:
            found.setdefault(pk, []).append(label)
    return found


def _signed(session: Session, versions: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for start in range(0, len(versions), _CHUNK):
        chunk = versions[start : start + _CHUNK]
        rows = session.execute(
            select(ObjectSignature.stix_id, ObjectSignature.modified).where(
                tuple_(ObjectSignature.stix_id, ObjectSignature.modified).in_(chunk)
            )
        )
        found.update((stix_id, modified) for stix_id, modified in rows)
    return found


# --- the travelling form -----------------------------------------------------------------


@dataclass
class Outgoing:
    """Objects as they travel, by `objects.pk`, and newly signed extensions to keep."""

    texts: dict[int, str] = field(default_factory=dict)
    fresh: dict[tuple[str, str], str] = field(default_factory=dict)


def _group_definitions(session: Session, group_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(group_ids))
    if not wanted:
        return {}
    groups = session.scalars(select(SharingGroup).where(SharingGroup.id.in_(wanted)))
    return {
        g.id: {
            "name": g.name,
            "owner_org": g.owner_org_id,
            "organizations": sorted(m.id for m in g.members),
            "nodes": sorted(n.id for n in g.nodes),
        }
        for g in groups
    }


def _profiles(session: Session, org_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """How a receiver that does not know an owner organization yet may learn it."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    orgs = session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    return {o.id: {"name": o.name, "country": o.country, "kind": o.kind.value} for o in orgs}


def _unsigned(extension: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extension.items() if k != "signature"}


def outgoing_json(session: Session, pks: Sequence[int]) -> Outgoing:
    """Each object version with its travelling extension, signed by its origin node."""
    node, key = local_key(session)
    o = StixObject
    found: list[Any] = []
    for start in range(0, len(pks), _CHUNK):
        found += session.execute(
            select(
                o.pk,
                o.stix_id,
                o.modified,
                o.origin_node_id,
                o.owner_org_id,
                o.distribution,
                o.sharing_group_id,
                o.stix,
                ObjectSignature.extension,
            )
            .outerjoin(
                ObjectSignature,
                and_(ObjectSignature.stix_id == o.stix_id, ObjectSignature.modified == o.modified),
            )
            .where(o.pk.in_(pks[start : start + _CHUNK]))
        ).all()
    owners = _profiles(session, (r.owner_org_id for r in found if r.origin_node_id == node.id))
    groups = _group_definitions(
        session,
        (r.sharing_group_id for r in found if r.sharing_group_id and r.origin_node_id == node.id),
    )
    out = Outgoing()
    for row in found:
        kept = orjson.loads(row.extension) if row.extension else None
        obj = orjson.loads(row.stix)
        if row.origin_node_id == node.id:
            wanted = sharing_extension(row.distribution, row.sharing_group_id)
            wanted |= {
                "origin_node": node.id,
                "owner_org": row.owner_org_id,
                "owner_profile": owners[row.owner_org_id],
            }
            if row.sharing_group_id in groups:
                wanted["sharing_group_definition"] = groups[row.sharing_group_id]
            if kept is None or _unsigned(kept) != wanted:
                obj["extensions"][EXTENSION_ID] = wanted
                kept = {**wanted, "signature": key.sign(canonical(obj))}
                out.fresh[(row.stix_id, row.modified)] = orjson.dumps(kept).decode()
        elif kept is None:
            continue  # a relayed version without its origin's signature cannot travel
        obj["extensions"][EXTENSION_ID] = kept
        out.texts[row.pk] = orjson.dumps(obj).decode()
    return out


def keep_signatures(session: Session, fresh: dict[tuple[str, str], str]) -> None:
    """Store newly signed extensions (in a write transaction: writers are serialized)."""
    keys = sorted(fresh)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        session.execute(
            delete(ObjectSignature).where(
                tuple_(ObjectSignature.stix_id, ObjectSignature.modified).in_(chunk)
            )
        )
        session.add_all(
            ObjectSignature(
                stix_id=stix_id, modified=modified, extension=fresh[(stix_id, modified)]
            )
            for stix_id, modified in chunk
        )
    session.flush()


@dataclass
class TravellingRow:
    """A listed row whose `stix` is the object as it travels to a peer."""

    pk: int
    stix_id: str
    modified: str
    date_added: datetime
    stix: str


def travelling(db: Database, rows: Sequence[Any]) -> list[TravellingRow]:
    """Listed rows (pk, stix_id, modified, date_added, stix) in their travelling form."""
    texts = serve(db, [row.pk for row in rows])
    return [
        TravellingRow(row.pk, row.stix_id, row.modified, row.date_added, texts[row.pk])
        for row in rows
        if row.pk in texts
    ]


def serve(db: Database, pks: Sequence[int]) -> dict[int, str]:
    """The travelling JSON of these versions, signing (and keeping) what is new."""
    with db.read() as session:
        out = outgoing_json(session, pks)
    if out.fresh:
        with db.write() as session:
            keep_signatures(session, out.fresh)
    return out.texts
