"""TAXII collections as views over the object store; every query goes through `visible_to`.

Services never import the web framework: routes in taxii/api.py call these.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar
from typing import cast as cast_rows

import orjson
from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    and_,
    cast,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.federation.egress import sending_condition
from accord.federation.ingress import Outcome, receive
from accord.identity.models import Role
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID
from accord.intel.ingest import IngestForbidden, Status, WriteDefaults, ingest
from accord.intel.models import ObjectLabel, StixObject
from accord.intel.service import decode_cursor, encode_cursor, keyset_rows, revoke
from accord.intel.validation import UUID_RE
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.rules import exists_for, latest_for, visible_to
from accord.taxii.models import Collection
from accord.taxii.models import Status as StatusRow

DEFAULT_TITLE = "default"
ALL_ROLES = [r.value for r in Role]
CREATOR_ROLES = [Role.ADMIN.value, Role.ORG_ADMIN.value, Role.ANALYST.value]
STATUS_KEEP = timedelta(days=7)  # the spec asks for at least 24 hours
R = TypeVar("R")


def parse_roles(roles: Sequence[str]) -> list[str]:
    out = []
    for role in roles:
        try:
            out.append(Role(role).value)
        except ValueError:
            choices = ", ".join(ALL_ROLES)
            raise Invalid(f"unknown role {role!r}: choose from {choices}") from None
    return sorted(set(out))


def create_collection(
    session: Session,
    actor: str,
    title: str,
    *,
    description: str = "",
    types: Sequence[str] = (),
    labels: Sequence[str] = (),
    sharing_group_id: str | None = None,
    read_roles: Sequence[str] = (),
    write_roles: Sequence[str] = (),
) -> Collection:
    collection = Collection()
    _assign(
        session,
        collection,
        title,
        description=description,
        types=types,
        labels=labels,
        sharing_group_id=sharing_group_id,
        read_roles=read_roles,
        write_roles=write_roles,
    )
    session.add(collection)
    session.flush()
    append(session, actor, "collection.create", collection.id, {"title": collection.title})
    return collection


def _assign(
    session: Session,
    collection: Collection,
    title: str,
    *,
    description: str,
    types: Sequence[str],
    labels: Sequence[str],
    sharing_group_id: str | None,
    read_roles: Sequence[str],
    write_roles: Sequence[str],
) -> None:
    """Check and set every property of a new or existing collection."""
    title = title.strip()
    if not title or len(title) > 200:
        raise Invalid("a collection title must be 1 to 200 characters")
    clash = select(Collection.id).where(Collection.title == title)
    if collection.id is not None:
        clash = clash.where(Collection.id != collection.id)
    if session.scalars(clash).first():
        raise Conflict(f"a collection titled {title!r} exists already")
    if sharing_group_id is not None and session.get(SharingGroup, sharing_group_id) is None:
        raise NotFound(f"no sharing group {sharing_group_id}")
    collection.title = title
    collection.description = description
    collection.types = sorted(set(types))
    collection.labels = sorted(set(labels))
    collection.sharing_group_id = sharing_group_id
    collection.read_roles = parse_roles(read_roles or ALL_ROLES)
    collection.write_roles = parse_roles(write_roles)


def ensure_default_collection(session: Session, actor: str = "system") -> Collection:
    found = session.scalars(select(Collection).where(Collection.title == DEFAULT_TITLE)).first()
    if found is not None:
        return found
    return create_collection(
        session,
        actor,
        DEFAULT_TITLE,
        description="Everything you may see on this node.",
        read_roles=ALL_ROLES,
        write_roles=CREATOR_ROLES,
    )


def all_collections(session: Session) -> list[Collection]:
    return list(session.scalars(select(Collection).order_by(Collection.title)))


def can_read(principal: Principal, collection: Collection) -> bool:
    if principal.kind is PrincipalKind.NODE:
        return collection.title == DEFAULT_TITLE  # peers sync through the default collection
    return principal.role is not None and principal.role.value in collection.read_roles


def can_write(principal: Principal, collection: Collection) -> bool:
    if principal.kind is PrincipalKind.NODE:
        return collection.title == DEFAULT_TITLE
    return principal.role is not None and principal.role.value in collection.write_roles


def _exists_for(principal: Principal, collection: Collection) -> bool:
    """A collection exists for those who may use it; a group's only for its members."""
    if collection.sharing_group_id and collection.sharing_group_id not in principal.group_ids:
        return False
    return can_read(principal, collection) or can_write(principal, collection)


def collections_for(session: Session, principal: Principal) -> list[Collection]:
    return [c for c in all_collections(session) if _exists_for(principal, c)]


def get_collection(session: Session, principal: Principal, collection_id: str) -> Collection:
    # Ids are UUIDs; anything else (a NUL byte breaks PostgreSQL) is simply not found.
    collection = session.get(Collection, collection_id) if UUID_RE.match(collection_id) else None
    if collection is None or not _exists_for(principal, collection):
        raise NotFound(f"no collection {collection_id}")
    return collection


def readable(session: Session, principal: Principal, collection_id: str) -> Collection:
    collection = get_collection(session, principal, collection_id)
    if not can_read(principal, collection):
        raise Forbidden("your role may not read this collection")
    return collection


def writable(session: Session, principal: Principal, collection_id: str) -> Collection:
    collection = get_collection(session, principal, collection_id)
    if not can_write(principal, collection):
        raise Forbidden("your role may not write to this collection")
    return collection


# --- queries -----------------------------------------------------------------------------


def in_view(collection: Collection, o: type[StixObject] = StixObject) -> ColumnElement[bool]:
    """The collection's view as a SQL condition on `StixObject` (or an alias of it)."""
    conditions: list[ColumnElement[bool]] = []
    if collection.types:
        conditions.append(o.type.in_(collection.types))
    if collection.labels:
        conditions.append(
            select(ObjectLabel.object_pk)
            .where(ObjectLabel.object_pk == o.pk, ObjectLabel.label.in_(collection.labels))
            .exists()
        )
    if collection.sharing_group_id:
        conditions.append(o.distribution == Distribution.GROUP.value)
        conditions.append(o.sharing_group_id == collection.sharing_group_id)
    return and_(true(), *conditions)


@dataclass
class Match:
    """The filters of TAXII 2.1 section 3.4 (OR within a field, AND across fields)."""

    added_after: datetime | None = None
    ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=lambda: ["last"])
    spec_versions: list[str] = field(default_factory=list)


def _first_version(principal: Principal, collection: Collection) -> ColumnElement[bool]:
    """No older version of the same object is listed: this one is the first.

    One probe of the stix_id index per row, so a page costs the same at any table size
    (the minimum pk of every object's listed versions would be an aggregate over all).
    """
    o, older = StixObject, aliased(StixObject)
    return ~(
        select(older.pk)
        .where(
            older.stix_id == o.stix_id,
            older.pk < o.pk,
            visible_to(principal, older),
            in_view(collection, older),
        )
        .exists()
    )


def _version_condition(
    principal: Principal, collection: Collection, versions: list[str]
) -> ColumnElement[bool]:
    o = StixObject
    if "all" in versions:
        return true()
    parts: list[ColumnElement[bool]] = []
    exact: list[str] = []
    for word in versions:
        if word == "last":
            parts.append(latest_for(principal))
        elif word == "first":
            parts.append(_first_version(principal, collection))
        else:
            exact.append(word)
    if exact:
        parts.append(o.modified.in_(exact))
    return or_(*parts)


def _condition(principal: Principal, collection: Collection, match: Match) -> ColumnElement[bool]:
    o = StixObject
    base = and_(visible_to(principal), in_view(collection))
    versions = _version_condition(principal, collection, match.versions)
    if match.versions != ["last"]:
        versions = and_(versions, exists_for(principal))
    conditions = [base, versions]
    if match.added_after is not None:
        conditions.append(o.date_added > match.added_after)
        # pk increases with date_added: start the pk range at the first row added after,
        # found by one probe of the date_added index, so an incremental page does not scan
        # the table from its start (the planner walks pk order to serve ORDER BY pk).
        added = aliased(StixObject)
        first = (
            select(added.pk)
            .where(added.date_added > match.added_after)
            .order_by(added.date_added)
            .limit(1)
            .correlate(None)
            .scalar_subquery()
        )
        conditions.append(o.pk >= first)
    if match.ids:
        conditions.append(o.stix_id.in_(match.ids))
    if match.types:
        conditions.append(o.type.in_(match.types))
    if match.spec_versions and "2.1" not in match.spec_versions:
        conditions.append(false())
    return and_(*conditions)


@dataclass
class Page(Generic[R]):
    rows: list[R]
    more: bool
    next: str | None
    # The date_added of the first and the last row (TAXII's X-TAXII-Date-Added-* headers).
    added: tuple[datetime, datetime] | None


class Text(Protocol):
    """What an objects listing serves: the stored JSON text, as it was stored."""

    @property
    def pk(self) -> int: ...
    @property
    def stix(self) -> str: ...


# An objects listing's lean row: pk and the stored JSON as UTF-8 bytes.
Blob = tuple[int, bytes]


class Served(Text, Protocol):
    """The columns manifests, versions and peers read."""

    @property
    def stix_id(self) -> str: ...
    @property
    def modified(self) -> str: ...
    @property
    def date_added(self) -> datetime: ...


def _listing(
    session: Session, principal: Principal, collection: Collection, match: Match
) -> ColumnElement[bool]:
    condition = _condition(principal, collection, match)
    if principal.kind is PrincipalKind.NODE:  # and only what the agreements let go
        assert principal.node_id is not None
        condition = and_(condition, sending_condition(session, principal.node_id, utcnow()))
    return condition


def query(
    session: Session,
    principal: Principal,
    collection: Collection,
    match: Match,
    limit: int,
    after: str | None = None,
) -> Page[Served]:
    """A page in date_added order; `after` is the previous page's `next`."""
    o = StixObject
    statement = select(o.pk, o.stix_id, o.modified, o.date_added, o.stix).where(
        _listing(session, principal, collection, match)
    )
    found, more, cursor = keyset_rows(session, statement, limit, after)
    rows = cast_rows(list[Served], found)
    return Page(rows, more, cursor, added_bounds(rows))


def added_bounds(rows: Sequence[Served]) -> tuple[datetime, datetime] | None:
    """The date_added of the first and the last of these rows."""
    return (rows[0].date_added, rows[-1].date_added) if rows else None


def _stored_bytes(session: Session) -> ColumnElement[bytes]:
    """`objects.stix` as the UTF-8 bytes it is stored as: served as they are, never
    decoded into a str only to be encoded again."""
    if session.get_bind().dialect.name == "postgresql":
        return func.convert_to(StixObject.stix, literal_column("'UTF8'"), type_=LargeBinary)
    return cast(StixObject.stix, LargeBinary)  # SQLite: the text's own bytes


def query_texts(
    session: Session,
    principal: Principal,
    collection: Collection,
    match: Match,
    limit: int,
    after: str | None = None,
) -> Page[Blob]:
    """`query` reading only the stored JSON, as bytes: converting each row's date_added
    would cost more than reading it, so only the first and the last are looked up, by
    primary key."""
    o = StixObject
    statement = select(o.pk, _stored_bytes(session).label("stix")).where(
        _listing(session, principal, collection, match)
    )
    if after:
        statement = statement.where(o.pk > decode_cursor(after))
    statement = statement.order_by(o.pk).limit(limit + 1)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Through a server-side cursor, planned for its first rows (intel.service._paged).
        rows = cast_rows(
            list[Blob], connection.execute(statement.execution_options(yield_per=limit + 1)).all()
        )
    else:
        # SQLite: the driver's own tuples, fetched at once (nothing is buffered before
        # them without a server-side cursor; the columns need no conversion).
        result = connection.execute(statement)
        try:
            rows = cast_rows(list[Blob], result.cursor.fetchall())
        finally:
            result.close()
    more = len(rows) > limit
    del rows[limit:]
    added = None
    if rows:
        bounds = select(o.date_added).where(o.pk.in_({rows[0][0], rows[-1][0]})).order_by(o.pk)
        dates = list(session.scalars(bounds))
        added = (dates[0], dates[-1])
    return Page(rows, more, encode_cursor(rows[-1][0]) if more else None, added)


# --- writes ------------------------------------------------------------------------------


def _sharing(obj: dict[str, Any], defaults: WriteDefaults) -> tuple[object, object]:
    """The distribution and sharing group ingest will store (it validates them itself)."""
    extensions = obj.get("extensions")
    ext = extensions.get(EXTENSION_ID) if isinstance(extensions, dict) else None
    if isinstance(ext, dict):
        return ext.get("distribution"), ext.get("sharing_group")
    return defaults.distribution.value, defaults.sharing_group


def _fits(collection: Collection, obj: Any, defaults: WriteDefaults) -> str | None:
    """Why an object does not belong in this collection, or None."""
    if not isinstance(obj, dict):
        return None  # ingest explains what is wrong with it
    if collection.types and obj.get("type") not in collection.types:
        return f"this collection takes only {', '.join(collection.types)} objects"
    labels = obj.get("labels")
    if collection.labels and not (
        isinstance(labels, list)
        and set(collection.labels) & {x for x in labels if isinstance(x, str)}
    ):
        return f"this collection takes only objects labelled {', '.join(collection.labels)}"
    # Otherwise the POST would succeed and the object never show in this collection.
    if collection.sharing_group_id and _sharing(obj, defaults) != (
        Distribution.GROUP.value,
        collection.sharing_group_id,
    ):
        return "this collection takes only objects shared with its sharing group"
    return None


def _detail(obj: Any, version: str | None, message: str | None = None) -> dict[str, Any]:
    """A status-details (section 4.3.2): id and version are required, even for an object
    too broken to have been read; then they are what it says, or empty."""
    raw = obj if isinstance(obj, dict) else {}
    obj_id = raw.get("id")
    if version is not None:
        shown = timestamps.display(version)
    else:
        said = raw.get("modified", raw.get("created"))
        shown = said if isinstance(said, str) else ""
    detail: dict[str, Any] = {"id": obj_id if isinstance(obj_id, str) else "", "version": shown}
    if message:
        detail["message"] = message
    return detail


def add_objects(
    session: Session,
    principal: Principal,
    collection: Collection,
    objects: list[Any],
    defaults: WriteDefaults,
    *,
    future_tolerance: timedelta,
) -> StatusRow:
    """Ingest (all or nothing) and keep a status resource of the outcome."""
    if collection.sharing_group_id and defaults.distribution is Distribution.ORG:
        defaults = WriteDefaults(Distribution.GROUP, collection.sharing_group_id, True)
    restricted = collection.types or collection.labels or collection.sharing_group_id
    misfits = (
        {i: why for i, obj in enumerate(objects) if (why := _fits(collection, obj, defaults))}
        if restricted
        else {}
    )
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    if principal.kind is PrincipalKind.NODE:  # a peer's objects are checked on arrival
        assert principal.node_id is not None
        received = receive(
            session, principal.node_id, objects, moment=utcnow(), future_tolerance=future_tolerance
        )
        for item in received.results:
            reason = item.reason if item.outcome is Outcome.REFUSED else None
            target = failures if reason else successes
            target.append(_detail(objects[item.index], item.version, reason or item.outcome.value))
    elif misfits:
        for i, obj in enumerate(objects):
            reason = misfits.get(i, "not stored: other objects in this request were refused")
            failures.append(_detail(obj, None, reason))
    else:
        try:
            result = ingest(
                session, principal, objects, defaults, future_tolerance=future_tolerance
            )
        except IngestForbidden as exc:
            raise Forbidden(str(exc)) from None
        for r in result.results:
            if r.status in (Status.CREATED, Status.EXISTS):
                successes.append(_detail(objects[r.index], r.version, r.status.value))
            else:
                failures.append(_detail(objects[r.index], r.version, r.reason))
    now = utcnow()
    session.execute(delete(StatusRow).where(StatusRow.request_timestamp < now - STATUS_KEEP))
    status = StatusRow(
        id=str(uuid.uuid4()),
        collection_id=collection.id,
        principal_id=principal.id,
        request_timestamp=now,
        total_count=len(objects),
        success_count=len(successes),
        failure_count=len(failures),
        successes=orjson.dumps(successes).decode(),
        failures=orjson.dumps(failures).decode(),
    )
    session.add(status)
    session.flush()
    return status


def get_status(session: Session, principal: Principal, status_id: str) -> StatusRow:
    status = session.get(StatusRow, status_id) if UUID_RE.match(status_id) else None
    if status is None or status.principal_id != principal.id:
        raise NotFound(f"no status {status_id}")
    return status


def delete_object(
    session: Session, principal: Principal, collection: Collection, object_id: str
) -> None:
    """DELETE is a revocation by the owner (DESIGN.md section 1)."""
    o = StixObject
    visible = session.scalars(
        select(o.pk).where(o.stix_id == object_id, visible_to(principal), in_view(collection))
    ).first()
    if visible is None:
        raise NotFound(f"no object {object_id}")
    revoke(session, principal, object_id)


# --- administration: edit and delete (create_collection is above) ---------------------------


def _administered(session: Session, collection_id: str) -> Collection:
    collection = session.get(Collection, collection_id) if UUID_RE.match(collection_id) else None
    if collection is None:
        raise NotFound(f"no collection {collection_id}")
    return collection


def update_collection(
    session: Session,
    actor: str,
    collection_id: str,
    title: str,
    *,
    description: str = "",
    types: Sequence[str] = (),
    labels: Sequence[str] = (),
    sharing_group_id: str | None = None,
    read_roles: Sequence[str] = (),
    write_roles: Sequence[str] = (),
) -> Collection:
    """Change every property of a collection, checked as `create_collection` checks them."""
    collection = _administered(session, collection_id)
    _assign(
        session,
        collection,
        title,
        description=description,
        types=types,
        labels=labels,
        sharing_group_id=sharing_group_id,
        read_roles=read_roles,
        write_roles=write_roles,
    )
    append(session, actor, "collection.update", collection.id, {"title": collection.title})
    return collection


def delete_collection(session: Session, actor: str, collection_id: str) -> str:
    """Remove a collection (a view: no object is touched) and its status resources."""
    collection = _administered(session, collection_id)
    title = collection.title
    session.execute(delete(StatusRow).where(StatusRow.collection_id == collection.id))
    session.delete(collection)
    append(session, actor, "collection.delete", collection_id, {"title": title})
    return title
