"""TAXII collections as views over the object store; every query goes through `visible_to`.

Services never import the web framework: routes in taxii/api.py call these.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import orjson
from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, true
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.identity.models import Role
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID
from accord.intel.ingest import IngestForbidden, Status, WriteDefaults, ingest
from accord.intel.models import ObjectLabel, StixObject
from accord.intel.service import decode_cursor, encode_cursor, revoke
from accord.intel.validation import UUID_RE
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.rules import exists_for, latest_for, visible_to
from accord.taxii.models import Collection
from accord.taxii.models import Status as StatusRow

DEFAULT_TITLE = "default"
ALL_ROLES = [r.value for r in Role]
CREATOR_ROLES = [Role.ADMIN.value, Role.ORG_ADMIN.value, Role.ANALYST.value]
STATUS_KEEP = timedelta(days=7)  # the spec asks for at least 24 hours


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
    title = title.strip()
    if not title or len(title) > 200:
        raise Invalid("a collection title must be 1 to 200 characters")
    if session.scalars(select(Collection.id).where(Collection.title == title)).first():
        raise Conflict(f"a collection titled {title!r} exists already")
    if sharing_group_id is not None and session.get(SharingGroup, sharing_group_id) is None:
        raise NotFound(f"no sharing group {sharing_group_id}")
    collection = Collection(
        title=title,
        description=description,
        types=sorted(set(types)),
        labels=sorted(set(labels)),
        sharing_group_id=sharing_group_id,
        read_roles=parse_roles(read_roles or ALL_ROLES),
        write_roles=parse_roles(write_roles),
    )
    session.add(collection)
    session.flush()
    append(session, actor, "collection.create", collection.id, {"title": title})
    return collection


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
    return principal.role is not None and principal.role.value in collection.read_roles


def can_write(principal: Principal, collection: Collection) -> bool:
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


def in_view(collection: Collection) -> ColumnElement[bool]:
    o = StixObject
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


def _version_condition(
    principal: Principal, base: ColumnElement[bool], versions: list[str]
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
            firsts = select(func.min(o.pk)).where(base).group_by(o.stix_id)
            parts.append(o.pk.in_(firsts))
        else:
            exact.append(word)
    if exact:
        parts.append(o.modified.in_(exact))
    return or_(*parts)


def _condition(principal: Principal, collection: Collection, match: Match) -> ColumnElement[bool]:
    o = StixObject
    base = and_(visible_to(principal), in_view(collection))
    versions = _version_condition(principal, base, match.versions)
    if match.versions != ["last"]:
        versions = and_(versions, exists_for(principal))
    conditions = [base, versions]
    if match.added_after is not None:
        conditions.append(o.date_added > match.added_after)
    if match.ids:
        conditions.append(o.stix_id.in_(match.ids))
    if match.types:
        conditions.append(o.type.in_(match.types))
    if match.spec_versions and "2.1" not in match.spec_versions:
        conditions.append(false())
    return and_(*conditions)


@dataclass
class Page:
    rows: list[Served]
    more: bool
    next: str | None


class Served(Protocol):
    """The columns a TAXII listing reads (plain rows: no ORM entities on the hot path)."""

    pk: int
    stix_id: str
    modified: str
    date_added: datetime
    stix: str


def query(
    session: Session,
    principal: Principal,
    collection: Collection,
    match: Match,
    limit: int,
    after: str | None = None,
) -> Page:
    """A page in date_added order; `after` is the previous page's `next`."""
    o = StixObject
    statement = select(o.pk, o.stix_id, o.modified, o.date_added, o.stix).where(
        _condition(principal, collection, match)
    )
    if after:
        statement = statement.where(o.pk > decode_cursor(after))
    found = session.execute(statement.order_by(o.pk).limit(limit + 1)).all()
    rows = cast(list[Served], found)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, more, encode_cursor(rows[-1].pk) if more else None)


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
    misfits = {i: why for i, obj in enumerate(objects) if (why := _fits(collection, obj, defaults))}
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    if misfits:
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
