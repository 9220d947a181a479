"""Public coverage: analysts release content; the public news page, feed and digest read it.

Releasing is allowed to the roles that may publish, of the owner organization, and only
for an object whose newest version is published, unrevoked, `TLP:CLEAR` and `open`.
Every public read checks again, on the version the public would read now
(accord.sharing.rules.public_coverage): a later version that is narrower, or a
revocation, takes the item off the page, the feed and the digest at once, with no
action on the release itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.cooperation.coverage_models import PublicRelease
from accord.cooperation.types import COOPERATION_EVENT
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.intel import timestamps
from accord.intel.models import StixObject
from accord.intel.service import get_latest
from accord.organizations.models import Organization
from accord.sharing.principal import Principal
from accord.sharing.rules import can_publish, in_public_coverage, public_coverage
from accord.sharing.tlp import Tlp

_TITLE_KEYS = ("name", "title", "abstract", "value")


@dataclass(frozen=True)
class EventFacts:
    """What the public page shows of a cooperation event besides its name."""

    event_type: str
    start: datetime
    end: datetime | None
    country: str | None
    place: str | None


@dataclass(frozen=True)
class PublicItem:
    release_id: str
    stix_id: str
    type: str
    title: str
    description: str
    organization: str
    released_at: datetime
    modified: datetime
    event: EventFacts | None


@dataclass(frozen=True)
class PublicPage:
    items: list[PublicItem]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class Release:
    stix_id: str
    version: str
    released_at: datetime


def _refusal(row: StixObject) -> str | None:
    """Why this version may not be released, or None."""
    if not row.published:
        return f"the newest version of {row.stix_id} is a draft: publish it first"
    if row.revoked:
        return f"{row.stix_id} is revoked"
    if not in_public_coverage(row):
        return (
            "only TLP:CLEAR content with open distribution can be released; "
            f"{row.stix_id} is {Tlp(row.tlp).label} with {row.distribution} distribution"
        )
    return None


def _own_latest(session: Session, principal: Principal, stix_id: str) -> StixObject:
    """The newest version the caller's organization owns, for a caller who may publish it."""
    row = get_latest(session, principal, stix_id)  # 404 when the caller cannot see it
    if not can_publish(principal, row):
        raise Forbidden("only an analyst or admin of the owner organization may release")
    return row


def _release_of(session: Session, row: StixObject) -> PublicRelease | None:
    return session.scalars(
        select(PublicRelease).where(
            PublicRelease.stix_id == row.stix_id, PublicRelease.owner_org_id == row.owner_org_id
        )
    ).first()


def _next_stamp(session: Session) -> datetime:
    """Later than every release so far: runs under the writer lock, so the order is strict."""
    last = session.scalar(select(func.max(PublicRelease.released_at)))
    now = utcnow()
    return now if last is None or now > last else last + timedelta(microseconds=1)


def release(session: Session, principal: Principal, stix_id: str) -> Release:
    """Release the object's newest version for public coverage; audited."""
    row = _own_latest(session, principal, stix_id)
    refusal = _refusal(row)
    if refusal is not None:
        raise Invalid(refusal)
    if _release_of(session, row) is not None:
        raise Conflict(f"{stix_id} is released already")
    entry = PublicRelease(
        stix_id=row.stix_id,
        owner_org_id=row.owner_org_id,
        version=row.modified,
        released_by=principal.id,
        released_at=_next_stamp(session),
    )
    session.add(entry)
    session.flush()
    append(session, principal.actor, "coverage.release", f"{row.stix_id}@{row.modified}")
    return Release(entry.stix_id, timestamps.display(entry.version), entry.released_at)


def is_released(session: Session, row: StixObject) -> bool:
    """Has the owner released this object (whatever the public may read of it now)?"""
    return _release_of(session, row) is not None


def unrelease(session: Session, principal: Principal, stix_id: str) -> None:
    """Take the object off public coverage; audited."""
    row = _own_latest(session, principal, stix_id)
    entry = _release_of(session, row)
    if entry is None:
        raise Conflict(f"{stix_id} is not released")
    session.delete(entry)
    session.flush()
    append(session, principal.actor, "coverage.unrelease", row.stix_id)


# --- what the public reads ------------------------------------------------------------------


def _public() -> Select[PublicRelease, StixObject, str]:
    o = StixObject
    return (
        select(PublicRelease, o, Organization.name)
        .join(
            o,
            and_(o.stix_id == PublicRelease.stix_id, o.owner_org_id == PublicRelease.owner_org_id),
        )
        .join(Organization, Organization.id == o.owner_org_id)
        .where(public_coverage(o))
    )


def _text(obj: dict[str, object], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _event(obj: dict[str, object]) -> EventFacts | None:
    start = _text(obj, "start_time")
    if obj.get("type") != COOPERATION_EVENT or start is None:
        return None
    end = _text(obj, "end_time")
    return EventFacts(
        event_type=_text(obj, "event_type") or "",
        start=timestamps.parse(start),
        end=timestamps.parse(end) if end else None,
        country=_text(obj, "country"),
        place=_text(obj, "place"),
    )


def _item(entry: PublicRelease, row: StixObject, organization: str) -> PublicItem:
    obj: dict[str, object] = orjson.loads(row.stix)
    title = next((t for t in (_text(obj, k) for k in _TITLE_KEYS) if t), row.stix_id)
    return PublicItem(
        release_id=entry.id,
        stix_id=row.stix_id,
        type=row.type,
        title=title,
        description=_text(obj, "description") or "",
        organization=organization,
        released_at=entry.released_at,
        modified=timestamps.parse(row.modified),
        event=_event(obj),
    )


def public_page(session: Session, page: int = 1, size: int = 20) -> PublicPage:
    """Released items the public may read, newest release first."""
    if page < 1 or size < 1:
        raise Invalid("page and size start at 1")
    total = session.scalar(select(func.count()).select_from(_public().subquery())) or 0
    rows = session.execute(
        _public().order_by(PublicRelease.released_at.desc()).offset((page - 1) * size).limit(size)
    ).all()
    return PublicPage([_item(e, o, n) for e, o, n in rows], total, page, size)


def public_item(session: Session, release_id: str) -> PublicItem:
    """One released item, while the public may read it; NotFound otherwise."""
    row = session.execute(_public().where(PublicRelease.id == release_id)).first()
    if row is None:
        raise NotFound("no such item")
    entry, obj, organization = row
    return _item(entry, obj, organization)


def released_after(session: Session, mark: datetime | None, limit: int) -> list[PublicItem]:
    """Items released after `mark` that the public may read now, oldest first."""
    statement = _public().order_by(PublicRelease.released_at)
    if mark is not None:
        statement = statement.where(PublicRelease.released_at > mark)
    rows = session.execute(statement.limit(limit)).all()
    return [_item(e, o, n) for e, o, n in rows]
