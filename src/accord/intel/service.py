"""Reading, publishing and revoking objects; every query goes through `visible_to`."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

import orjson
from sqlalchemy import ColumnElement, Row, Select, and_, delete, func, select, update
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Forbidden, Invalid, NotFound
from accord.federation.hooks import mark_published
from accord.intel import timestamps
from accord.intel.ingest import IngestResult, WriteDefaults, ingest
from accord.intel.models import ObjectLabel, StixObject
from accord.intel.search import SearchQuery, search_condition
from accord.intel.vocabulary import SCO_REQUIRED
from accord.sharing.principal import Principal
from accord.sharing.rules import can_publish, can_revoke, exists_for, latest_for, visible_to
from accord.sharing.tlp import Tlp

_CURSOR_VERSION = b"1:"
MAX_PK = 2**63 - 1  # BIGINT: a larger cursor was never issued
Ts = TypeVarTuple("Ts")


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(_CURSOR_VERSION + str(pk).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(_CURSOR_VERSION):
            raise ValueError
        value = int(raw[len(_CURSOR_VERSION) :])
        if not 0 <= value <= MAX_PK:
            raise ValueError
    except ValueError:
        raise Invalid("cursor is not one this server issued") from None
    return value


@dataclass
class ObjectFilter:
    types: list[str] = field(default_factory=list)
    owner_org: str | None = None
    labels: list[str] = field(default_factory=list)
    tlp: list[Tlp] = field(default_factory=list)
    modified_since: datetime | None = None
    added_since: datetime | None = None
    published: bool | None = None
    all_versions: bool = False
    search: SearchQuery | None = None  # full-text: every term must occur


@dataclass
class Page:
    rows: list[StixObject]
    more: bool
    next: str | None

    def objects_json(self) -> bytes:
        """The stored JSON of each object, joined without re-serializing."""
        return b"[" + b",".join(r.stix.encode() for r in self.rows) + b"]"


@dataclass
class TextPage:
    """A page of stored JSON texts, read as plain driver rows (no ORM objects)."""

    texts: list[str]
    more: bool
    next: str | None

    def objects_json(self) -> bytes:
        """The stored JSON texts joined as they are: nothing is parsed or re-serialized."""
        return b"".join([b"[", ",".join(self.texts).encode(), b"]"])


def _condition(principal: Principal, f: ObjectFilter) -> ColumnElement[bool]:
    o = StixObject
    versions = exists_for(principal) if f.all_versions else latest_for(principal)
    conditions = [visible_to(principal), versions]
    if f.types:
        conditions.append(o.type.in_(f.types))
    if f.owner_org:
        conditions.append(o.owner_org_id == f.owner_org)
    if f.labels:
        # Every label asked for: one grouped subquery, not one EXISTS per label.
        wanted = sorted(set(f.labels))
        labelled = (
            select(ObjectLabel.object_pk)
            .where(ObjectLabel.label.in_(wanted))
            .group_by(ObjectLabel.object_pk)
            .having(func.count(func.distinct(ObjectLabel.label)) == len(wanted))
        )
        conditions.append(o.pk.in_(labelled))
    if f.tlp:
        conditions.append(o.tlp.in_([int(t) for t in f.tlp]))
    if f.modified_since is not None:
        conditions.append(o.modified >= timestamps.normalize(f.modified_since))
    if f.added_since is not None:
        conditions.append(o.date_added > f.added_since)
    if f.published is not None:
        conditions.append(o.published.is_(f.published))
    if f.search is not None:
        conditions.append(search_condition(f.search))
    return and_(*conditions)


def _filtered(principal: Principal, f: ObjectFilter) -> Select[StixObject]:
    return select(StixObject).where(_condition(principal, f))


def _paged(statement: Select[*Ts], limit: int, after: str | None) -> Select[*Ts]:
    """`statement` past the cursor `after`, in pk order, `limit` + 1 rows (the one more
    tells whether there is a next page), read through a server-side cursor.

    On PostgreSQL a cursor is planned for its first rows (`cursor_tuple_fraction`), and
    not in parallel, which is what a page wants: the pk index walked in order, stopping
    at the limit. A plain statement is planned for all its rows: right after a bulk load,
    before autovacuum has analyzed the table, the planner takes the visibility condition
    for a rare one and scans and sorts the whole table instead (about 100 ms at 100,000
    objects, so every page, the first one included, grows with the table).
    """
    pk = StixObject.pk
    if after:
        statement = statement.where(pk > decode_cursor(after))
    return statement.order_by(pk).limit(limit + 1).execution_options(yield_per=limit + 1)


def keyset_rows(
    session: Session, statement: Select[*tuple[Any, ...]], limit: int, after: str | None
) -> tuple[list[Row[*tuple[Any, ...]]], bool, str | None]:
    """One page of `statement`, whose first column is the pk, in pk (so date_added) order;
    `after` is the previous page's `next`.

    Executed on the connection: plain driver rows, no ORM loading.
    """
    rows = list(session.connection().execute(_paged(statement, limit, after)))
    more = len(rows) > limit
    del rows[limit:]
    return rows, more, encode_cursor(rows[-1][0]) if more else None


def list_objects(
    session: Session, principal: Principal, f: ObjectFilter, limit: int, after: str | None = None
) -> Page:
    """A keyset page in date_added order; `after` is the previous page's `next`."""
    rows = list(session.scalars(_paged(_filtered(principal, f), limit, after)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, more, encode_cursor(rows[-1].pk) if more else None)


def list_texts(
    session: Session, principal: Principal, f: ObjectFilter, limit: int, after: str | None = None
) -> TextPage:
    """`list_objects` reading only the stored JSON, for the REST listing's hot path."""
    o = StixObject
    statement = select(o.pk, o.stix).where(_condition(principal, f))
    rows, more, cursor = keyset_rows(session, statement, limit, after)
    return TextPage([row.stix for row in rows], more, cursor)


def get_latest(session: Session, principal: Principal, stix_id: str) -> StixObject:
    o = StixObject
    # Several organizations may hold the same observable: one's own copy comes first.
    row = session.scalars(
        select(o)
        .where(o.stix_id == stix_id, visible_to(principal), latest_for(principal))
        .order_by((o.owner_org_id == principal.org_id).desc(), o.pk.desc())
    ).first()
    if row is None:
        raise NotFound(f"no object {stix_id}")
    return row


def get_versions(session: Session, principal: Principal, stix_id: str) -> list[StixObject]:
    o = StixObject
    rows = list(
        session.scalars(
            select(o)
            .where(o.stix_id == stix_id, visible_to(principal), exists_for(principal))
            .order_by(o.pk)
        )
    )
    if not rows:
        raise NotFound(f"no object {stix_id}")
    return rows


def publish(session: Session, principal: Principal, stix_id: str) -> list[str]:
    """Publish the owner's newest version and what it references that the owner owns.

    Returns the ids published now (empty when everything was published already).
    """
    row = get_latest(session, principal, stix_id)
    if not can_publish(principal, row):
        raise Forbidden("only an analyst or admin of the owner organization may publish")
    refs = orjson.loads(row.stix).get("object_refs") or []
    o = StixObject
    targets = [row]
    if refs:
        targets += list(
            session.scalars(
                select(o).where(
                    o.stix_id.in_(refs), o.owner_org_id == principal.org_id, o.is_latest.is_(True)
                )
            )
        )
    done: list[str] = []
    for target in targets:
        if target.published:
            continue
        session.execute(
            update(o)
            .where(
                o.stix_id == target.stix_id,
                o.owner_org_id == target.owner_org_id,
                o.is_latest_published.is_(True),
            )
            .values(is_latest_published=False)
        )
        _move_to_end(session, target.pk, published=True, is_latest_published=True)
        append(session, principal.actor, "object.publish", f"{target.stix_id}@{target.modified}")
        done.append(target.stix_id)
    if done:
        mark_published(session)  # once committed, the sync worker pushes to peers
    return done


def _move_to_end(session: Session, pk: int, **values: object) -> None:
    """Give a version the next pk and date_added: what others see for the first time is
    new to them, so readers paging by date_added (TAXII added_after, sync) receive it.
    Runs under the writer lock like every write, so the order stays strict."""
    o = StixObject
    last_pk, last_added = session.execute(select(func.max(o.pk), func.max(o.date_added))).one()
    added = max(utcnow(), last_added + timedelta(microseconds=1))
    labels = list(session.scalars(select(ObjectLabel.label).where(ObjectLabel.object_pk == pk)))
    session.execute(delete(ObjectLabel).where(ObjectLabel.object_pk == pk))
    session.execute(update(o).where(o.pk == pk).values(pk=last_pk + 1, date_added=added, **values))
    for label in labels:
        session.add(ObjectLabel(object_pk=last_pk + 1, label=label))
    session.flush()


def revoke(
    session: Session, principal: Principal, stix_id: str, now: datetime | None = None
) -> IngestResult:
    """Revocation is a new version with `revoked: true`, through the one ingest path."""
    row = get_latest(session, principal, stix_id)
    if not can_revoke(principal, row):
        raise Forbidden("only an analyst or admin of the owner organization may revoke")
    if row.revoked:
        raise Invalid(f"{stix_id} is revoked already")
    if row.modified is None or row.type in SCO_REQUIRED:
        raise Invalid(f"{row.type} objects have no versions and cannot be revoked")
    # Once published, the revocation is published too, and built on the newest published
    # version: a newer draft's wording must not reach others through it.
    o = StixObject
    published = session.scalars(
        select(o).where(
            o.stix_id == stix_id,
            o.owner_org_id == row.owner_org_id,
            o.is_latest_published.is_(True),
        )
    ).first()
    obj: dict[str, Any] = orjson.loads((published or row).stix)
    now = now or utcnow()
    previous = timestamps.parse(orjson.loads(row.stix)["modified"])
    obj["modified"] = timestamps.format_stix(max(now, previous + timedelta(milliseconds=1)))
    obj["revoked"] = True
    result = ingest(
        session, principal, [obj], WriteDefaults(published=published is not None), now=now
    )
    if not result.ok:
        raise Invalid(result.results[0].reason or "revocation refused")
    return result
