"""The one write path for STIX objects (DESIGN.md section 1).

REST, TAXII, the web UI, file import and federation all call `ingest`. Within the
caller's write transaction it validates every object, assigns ownership and sharing
metadata, decides versions, stores rows, labels and audit entries. If any object is
refused, nothing is written and every object gets a result saying why.
"""

from __future__ import annotations

import enum
import gc
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Update, func, select, update
from sqlalchemy.orm import Session

from accord.audit.service import append_many
from accord.cooperation.types import DEFINITION_IDS
from accord.db.base import utcnow
from accord.db.bulk import bulk_insert
from accord.federation.hooks import mark_published
from accord.intel import guards, timestamps
from accord.intel.extension import ACCORD_IDENTITY_ID, EXTENSION_ID, sharing_extension
from accord.intel.models import OBJECT_LABELS, OBJECTS, StixObject
from accord.intel.search import index_objects
from accord.intel.validation import CheckedObject, Refusal, check_object
from accord.intel.vocabulary import SCO_REQUIRED
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.rules import can_create, visible_to
from accord.sharing.tlp import TLP_BY_MARKING_ID

_CHUNK = 500
# Objects every node knows without storing them: TLP markings and Accord's own definitions.
BUILTIN_IDS = frozenset(TLP_BY_MARKING_ID) | {EXTENSION_ID, ACCORD_IDENTITY_ID} | DEFINITION_IDS


class Status(enum.StrEnum):
    CREATED = "created"  # a new object or a new version of one
    EXISTS = "exists"  # this exact version is already stored
    REFUSED = "refused"
    NOT_STORED = "not-stored"  # valid, but another object in the request was refused


@dataclass
class ObjectResult:
    index: int
    id: str | None
    version: str | None
    status: Status
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status.value}
        if self.version is not None:
            out["version"] = timestamps.display(self.version)
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass
class IngestResult:
    results: list[ObjectResult]
    stored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status in (Status.CREATED, Status.EXISTS) for r in self.results)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)


@dataclass(frozen=True)
class WriteDefaults:
    """Sharing metadata for objects that carry no Accord extension, and draft state."""

    distribution: Distribution = Distribution.ORG
    sharing_group: str | None = None
    published: bool = True
    # Set by a cooperation module writing its own objects after checking its own rules;
    # every other caller leaves it False and the module's write guards apply.
    by_module: bool = False


class IngestForbidden(Exception):
    """The principal may not write objects this way at all (403)."""


class BundleError(ValueError):
    """The request body is not a bundle or a list of objects (422)."""


def objects_of(payload: Any) -> list[Any]:
    """Accept a STIX bundle, {"objects": [...]}, a list, or one object."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        if payload.get("type") == "bundle":
            if "objects" not in payload:
                return []
            objects = payload["objects"]
        elif "objects" in payload and "type" not in payload:
            objects = payload["objects"]
        else:
            return [payload]
        if not isinstance(objects, list):
            raise BundleError("objects must be a list")
        return objects
    raise BundleError("expected a STIX bundle, a list of objects or one object")


class _GcPause:
    """One process-wide pause of the cyclic garbage collector, shared by nested and
    concurrent users: it runs again when the last of them ends (if it ran before)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


# Decoding and ingesting a request allocates several containers per object and frees
# none until the request ends; collections in between only walk the growing heap again
# (a fifth of the ingest time at 5,000 objects). Reference counting still frees all
# acyclic garbage at once; cycles wait for the end of the pause.
paused_gc = _GcPause()


def ingest(
    session: Session,
    principal: Principal,
    raw_objects: Sequence[Any],
    defaults: WriteDefaults,
    *,
    future_tolerance: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> IngestResult:
    """Validate and store a request's objects, all or nothing.

    `session` must come from `Database.write()` (it holds the writer lock).
    """
    with paused_gc():
        return _ingest(session, principal, raw_objects, defaults, future_tolerance, now)


def _ingest(
    session: Session,
    principal: Principal,
    raw_objects: Sequence[Any],
    defaults: WriteDefaults,
    future_tolerance: timedelta,
    now: datetime | None,
) -> IngestResult:
    if not can_create(principal, published=defaults.published):
        if defaults.published and can_create(principal, published=False):
            raise IngestForbidden("your role may only create drafts: add ?draft=true")
        raise IngestForbidden("your role may not create objects")
    assert principal.org_id is not None
    now = now or utcnow()
    own_identity = f"identity--{principal.org_id}"
    results: list[ObjectResult] = []
    checked: dict[int, CheckedObject] = {}
    seen: dict[str, int] = {}

    for index, raw in enumerate(raw_objects):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        rid = raw_id if isinstance(raw_id, str) else None
        try:
            item = check_object(raw, now, future_tolerance)
        except Refusal as exc:
            results.append(ObjectResult(index, rid, None, Status.REFUSED, str(exc)))
            continue
        if item.id in seen:
            results.append(
                ObjectResult(
                    index,
                    item.id,
                    item.modified,
                    Status.REFUSED,
                    f"duplicate id: object {seen[item.id]} in this request has it too",
                )
            )
            continue
        seen[item.id] = index
        if item.id in BUILTIN_IDS or item.id == own_identity:
            results.append(ObjectResult(index, item.id, item.modified, Status.EXISTS))
            continue
        creator = item.obj.get("created_by_ref")
        if creator is not None and creator != own_identity:
            results.append(
                ObjectResult(
                    index,
                    item.id,
                    item.modified,
                    Status.REFUSED,
                    "created_by_ref names another organization: objects are owned by "
                    "the organization that writes them",
                )
            )
            continue
        if item.distribution is None:
            item.distribution = defaults.distribution
            item.sharing_group = defaults.sharing_group
        checked[index] = item
        results.append(ObjectResult(index, item.id, item.modified, Status.CREATED))

    _check_groups(principal, checked, results)
    versioned = _check_versions(session, principal, checked, results)
    _check_references(session, principal, checked, results, set(seen) | BUILTIN_IDS)
    _check_guards(session, principal, checked, results, defaults, frozenset(seen))

    if any(r.status is Status.REFUSED for r in results):
        for r in results:
            if r.status is not Status.REFUSED:
                r.status = Status.NOT_STORED
                r.reason = "not stored: other objects in this request were refused"
        return IngestResult(results)

    to_store = [checked[r.index] for r in results if r.status is Status.CREATED]
    stored = _store(session, principal, to_store, versioned, defaults.published, now)
    by_id = {row["stix_id"]: row for row in stored}
    for r in results:
        if r.status is Status.CREATED and r.id in by_id:
            r.version = by_id[r.id]["modified"]
    return IngestResult(results, stored)


def _check_guards(
    session: Session,
    principal: Principal,
    checked: dict[int, CheckedObject],
    results: list[ObjectResult],
    defaults: WriteDefaults,
    request_ids: frozenset[str],
) -> None:
    """Cooperation modules' own rules (accord.intel.guards), on every write path."""
    context: guards.WriteContext | None = None
    for index, item in checked.items():
        if results[index].status is not Status.CREATED or item.type not in guards.GUARDS:
            continue
        if context is None:
            context = guards.WriteContext(
                session, principal, defaults.published, defaults.by_module, request_ids
            )
        reason = guards.refusal(context, item.obj)
        if reason is not None:
            _refuse(results, index, reason)


def _refuse(results: list[ObjectResult], index: int, reason: str) -> None:
    result = results[index]
    result.status = Status.REFUSED
    result.reason = reason


def _check_groups(
    principal: Principal, checked: dict[int, CheckedObject], results: list[ObjectResult]
) -> None:
    for index, item in list(checked.items()):
        if item.distribution is Distribution.GROUP:
            if item.sharing_group is None:
                _refuse(results, index, "distribution group needs a sharing group")
            elif item.sharing_group not in principal.group_ids:
                # Groups one is not in do not exist for one: same words for both cases.
                _refuse(results, index, f"unknown sharing group {item.sharing_group}")
            else:
                continue
            del checked[index]
        elif item.sharing_group is not None:
            _refuse(results, index, "a sharing group is only used with distribution group")
            del checked[index]


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _check_versions(
    session: Session,
    principal: Principal,
    checked: dict[int, CheckedObject],
    results: list[ObjectResult],
) -> set[str]:
    """Decide exists / new version / refused; returns the ids the caller's organization
    holds already (whose older versions a new one demotes).

    An object has one owner. Observables (SCOs) are facts with deterministic ids that
    any organization may hold: each holder keeps its own copy with its own sharing.
    """
    ids = sorted({item.id for item in checked.values()})
    own: dict[str, set[str]] = {}  # id -> versions held by the caller's organization
    others: set[str] = set()  # ids held by another organization
    o = StixObject
    for chunk in _chunks(ids):
        rows = session.execute(
            select(o.stix_id, o.owner_org_id, o.modified).where(o.stix_id.in_(chunk))
        )
        for stix_id, owner, modified in rows:
            if owner == principal.org_id:
                own.setdefault(stix_id, set()).add(modified)
            else:
                others.add(stix_id)
    for index, item in list(checked.items()):
        versions = own.get(item.id)
        if versions is None:
            if item.id in others and item.modified is not None:
                # Same words whether or not the caller can see the object: no oracle.
                _refuse(
                    results, index, "this id belongs to an object your organization does not own"
                )
                del checked[index]
            continue
        newest = max(versions)
        if item.modified is None or item.modified in versions:
            results[index].status = Status.EXISTS
            results[index].version = item.modified or newest
            del checked[index]
        elif item.modified < newest:
            _refuse(
                results,
                index,
                f"modified {item.modified} is older than the stored version {newest}",
            )
            del checked[index]
    return set(own)


def _check_references(
    session: Session,
    principal: Principal,
    checked: dict[int, CheckedObject],
    results: list[ObjectResult],
    in_request: set[str],
) -> None:
    wanted = {
        ref for item in checked.values() for ref in item.refs | item.marking_refs
    } - in_request
    if not wanted:
        return
    known: set[str] = set()
    identities = sorted(r for r in wanted if r.startswith("identity--"))
    for chunk in _chunks([r.removeprefix("identity--") for r in identities]):
        known.update(
            f"identity--{org_id}"
            for org_id in session.scalars(select(Organization.id).where(Organization.id.in_(chunk)))
        )
    rest = sorted(wanted - known)
    for chunk in _chunks(rest):
        known.update(
            session.scalars(
                select(StixObject.stix_id)
                .where(StixObject.stix_id.in_(chunk), visible_to(principal))
                .distinct()
            )
        )
    for index, item in list(checked.items()):
        missing = sorted((item.refs | item.marking_refs) - in_request - known)
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            _refuse(results, index, f"references unknown object {missing[0]}{more}")
            del checked[index]


def demote(stix_ids: Sequence[str], owner: str, first_pk: int, *, latest_published: bool) -> Update:
    """The owner's older versions of `stix_ids` stop being its latest (or latest published).

    `|| ''` and `+ 0` keep SQLite from reading those two terms through an index: the
    stix_id index finds the few older versions, while owner_org_id's index (the planner's
    pick without them) walks everything the owner holds, so the cost grew with it.
    """
    o = StixObject
    flag = o.is_latest_published if latest_published else o.is_latest
    return (
        update(o)
        .where(
            o.stix_id.in_(stix_ids),
            o.owner_org_id.concat("") == owner,
            (o.pk + 0) < first_pk,
            flag.is_(True),
        )
        .values({flag: False})
    )


def _store(
    session: Session,
    principal: Principal,
    items: list[CheckedObject],
    versioned: set[str],
    published: bool,
    now: datetime,
    *,
    owner_org_id: str | None = None,
    origin_node_id: str | None = None,
) -> list[dict[str, Any]]:
    """Store checked objects as new versions owned by `owner_org_id` (the principal's
    organization by default) from `origin_node_id` (this node by default)."""
    if not items:
        return []
    owner = owner_org_id or principal.org_id
    assert owner is not None  # a writer always acts for an organization
    origin = origin_node_id or principal.local_node_id
    o = StixObject
    last_pk, last_added = session.execute(select(func.max(o.pk), func.max(o.date_added))).one()
    pk = last_pk or 0
    # date_added strictly increases, one microsecond apart at least (TAXII paging).
    added = max(now, last_added + timedelta(microseconds=1)) if last_added else now
    owner_identity = f"identity--{owner}"
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    indexed: list[tuple[int, dict[str, Any]]] = []  # (pk, object) for the search index
    audit: list[tuple[str, str, str, dict[str, Any] | None]] = []
    actor = principal.actor
    step = timedelta(microseconds=1)
    for item in items:
        pk += 1
        obj = dict(item.obj)
        if item.type not in SCO_REQUIRED:  # SCOs have no created_by_ref (STIX 2.1 6.1)
            obj.setdefault("created_by_ref", owner_identity)
        extensions = dict(obj.get("extensions") or {})
        assert item.distribution is not None
        dist = item.distribution.value
        tlp = int(item.tlp)
        extensions[EXTENSION_ID] = sharing_extension(dist, item.sharing_group)
        obj["extensions"] = extensions
        modified = item.modified or timestamps.normalize(added)
        rows.append(
            {
                "pk": pk,
                "stix_id": item.id,
                "type": item.type,
                "spec_version": item.spec_version,
                "created": item.created,
                "modified": modified,
                "date_added": added,
                "owner_org_id": owner,
                "origin_node_id": origin,
                "distribution": dist,
                "sharing_group_id": item.sharing_group,
                "tlp": tlp,
                "published": published,
                "revoked": bool(obj.get("revoked", False)),
                "is_latest": True,
                "is_latest_published": published,
                "stix": orjson.dumps(obj).decode(),
            }
        )
        labels.extend({"object_pk": pk, "label": label} for label in dict.fromkeys(item.labels))
        indexed.append((pk, obj))
        audit.append(
            (
                actor,
                "object.revoke" if obj.get("revoked") else "object.write",
                f"{item.id}@{modified}",
                {"published": published, "distribution": dist, "tlp": tlp},
            )
        )
        added += step

    first_pk = rows[0]["pk"]
    ids = [item.id for item in items if item.id in versioned]  # older versions to demote
    for chunk in _chunks(ids):
        session.execute(demote(chunk, owner, first_pk, latest_published=False))
        if published:
            session.execute(demote(chunk, owner, first_pk, latest_published=True))
    bulk_insert(session, OBJECTS, rows)
    bulk_insert(session, OBJECT_LABELS, labels)
    index_objects(session, indexed)
    append_many(session, audit)
    if published:
        mark_published(session)  # once committed, the sync worker pushes to peers
    return rows
