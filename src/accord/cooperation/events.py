"""Cooperation events and their geography: meetings, exercises, conferences, visits.

Every event is an `x-accord-cooperation-event` STIX object owned by the organization of
the user who wrote it and shared as its writer chose (distribution, TLP, an optional
sharing group), written through the one ingest path; an edit is a new version. Every
read goes through `visible_to` and `latest_for` (`content.current`), so lists, the
calendar export, the map and the spread of events across countries are all made of
what the caller may see, and nothing else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from babel import Locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.cooperation.content import (
    current,
    new_object,
    org_of,
    resolve_orgs,
    stamp,
    stix_of,
    write_one,
)
from accord.cooperation.types import COOPERATION_EVENT, EXERCISE
from accord.db.base import utcnow
from accord.errors import Forbidden, Invalid, NotFound
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.rules import can_create
from accord.sharing.tlp import Tlp

EVENT_TYPES = ("meeting", "exercise", "conference", "visit")
# Babel's territories that are not countries (regions, groupings, private use).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "QU", "TA", "UN", "XA", "XB", "ZZ"}
)


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English name."""
    names = Locale("en").territories
    return {
        code: names[code]
        for code in sorted(names)
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def user_assigned(code: str) -> bool:
    """ISO 3166-1 user-assigned codes (AA, QM-QZ, XA-XZ, ZZ): scenario countries of an
    exercise, or a demo's invented ones, are countries of this node's own choosing."""
    return len(code) == 2 and (
        code in ("AA", "ZZ") or (code[0] == "Q" and "M" <= code[1] <= "Z") or code[0] == "X"
    )


def is_country(code: str) -> bool:
    return code in countries() or user_assigned(code)


def country_name(code: str | None, locale: str = "en") -> str:
    if not code:
        return ""
    return str(Locale.parse(locale).territories.get(code, code))


# --- what the service takes and returns --------------------------------------------------


@dataclass(frozen=True)
class EventFields:
    name: str
    event_type: str
    start_time: datetime
    end_time: datetime | None = None
    description: str = ""
    country: str | None = None
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    participants: list[str] = field(default_factory=list)  # organization names or UUIDs
    exercise_ref: str | None = None


@dataclass(frozen=True)
class EventSharing:
    distribution: Distribution = Distribution.ORG
    sharing_group: str | None = None
    tlp: Tlp = Tlp.NONE


@dataclass(frozen=True)
class Event:
    id: str
    version: str
    name: str
    description: str
    event_type: str
    start_time: datetime
    end_time: datetime | None
    country: str | None
    place: str | None
    latitude: float | None
    longitude: float | None
    participants: list[str]  # organization UUIDs
    exercise_ref: str | None
    owner: str
    distribution: str
    sharing_group: str | None
    tlp: Tlp
    published: bool

    @property
    def last_moment(self) -> datetime:
        return self.end_time or self.start_time

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def days(self) -> list[date]:
        """The calendar days (UTC) the event covers."""
        first, last = self.start_time.date(), self.last_moment.date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class EventFilter:
    country: str | None = None
    organization: str | None = None  # a name or UUID: participant or owner
    event_type: str | None = None
    since: date | None = None  # events that end on or after this day
    until: date | None = None  # events that start on or before this day


@dataclass(frozen=True)
class Spread:
    """How many visible events started in each month in each country."""

    months: list[str]  # YYYY-MM, every month from the first to the last, in order
    countries: list[str]  # codes, most events first ("" for events without a country)
    counts: dict[tuple[str, str], int]  # (month, country) -> events

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def month_total(self, month: str) -> int:
        return sum(n for (m, _c), n in self.counts.items() if m == month)

    def country_total(self, country: str) -> int:
        return sum(n for (_m, c), n in self.counts.items() if c == country)


# --- checks ------------------------------------------------------------------------------


def _require_writer(principal: Principal, published: bool) -> None:
    if not principal.is_user or principal.org_id is None:
        raise Forbidden("only users of an organization write cooperation events")
    if not can_create(principal, published=published):
        if can_create(principal, published=False):
            raise Forbidden("your role may only write drafts of events")
        raise Forbidden("your role may not write cooperation events")


def _check_fields(fields: EventFields) -> None:
    if not fields.name.strip():
        raise Invalid("an event needs a name")
    if fields.event_type not in EVENT_TYPES:
        raise Invalid(f"event_type must be one of {', '.join(EVENT_TYPES)}")
    if fields.start_time.tzinfo is None or (
        fields.end_time is not None and fields.end_time.tzinfo is None
    ):
        raise Invalid("times must carry a time zone (UTC: end them with Z)")
    if fields.end_time is not None and fields.end_time < fields.start_time:
        raise Invalid("the event ends before it starts: end_time is earlier than start_time")
    if fields.country is not None and not is_country(fields.country):
        raise Invalid(
            f"unknown country code {fields.country!r}: use ISO 3166 alpha-2, e.g. FR, "
            "or a user-assigned code (QM-QZ, XA-XZ)"
        )
    if (fields.latitude is None) != (fields.longitude is None):
        raise Invalid("give latitude and longitude together, or neither")
    if fields.latitude is not None and not -90 <= fields.latitude <= 90:
        raise Invalid("latitude must be between -90 and 90")
    if fields.longitude is not None and not -180 <= fields.longitude <= 180:
        raise Invalid("longitude must be between -180 and 180")


def _check_sharing(principal: Principal, sharing: EventSharing) -> None:
    group = sharing.sharing_group
    if (sharing.distribution is Distribution.GROUP) != (group is not None):
        raise Invalid("distribution group goes with a sharing group, and only it")
    if group is not None and group not in principal.group_ids:
        raise Invalid(f"unknown sharing group {group}")


def _check_exercise(session: Session, principal: Principal, ref: str | None) -> None:
    if ref is None:
        return
    row = session.scalars(current(principal, EXERCISE).where(StixObject.stix_id == ref)).first()
    if row is None:
        raise Invalid(f"unknown exercise {ref}")


def _apply(
    session: Session, principal: Principal, obj: dict[str, Any], fields: EventFields
) -> None:
    """Write the fields onto the STIX object (absent optional fields are removed)."""
    _check_fields(fields)
    _check_exercise(session, principal, fields.exercise_ref)
    refs = [org.identity_id for org in resolve_orgs(session, fields.participants)]
    values: dict[str, Any] = {
        "name": fields.name.strip(),
        "event_type": fields.event_type,
        "start_time": stamp(fields.start_time.astimezone(UTC)),
        "end_time": stamp(fields.end_time.astimezone(UTC)) if fields.end_time else None,
        "description": fields.description or None,
        "country": fields.country,
        "place": (fields.place or "").strip() or None,
        "latitude": fields.latitude,
        "longitude": fields.longitude,
        "participant_refs": refs or None,
        "exercise_ref": fields.exercise_ref,
    }
    for key, value in values.items():
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value


def _audit(session: Session, principal: Principal, action: str, target: str) -> None:
    append(session, principal.actor, f"events.{action}", target, None)


# --- reading -----------------------------------------------------------------------------


def _event(row: StixObject) -> Event:
    obj = stix_of(row)
    end = obj.get("end_time")
    return Event(
        id=row.stix_id,
        version=obj["modified"],
        name=obj["name"],
        description=obj.get("description", ""),
        event_type=obj["event_type"],
        start_time=timestamps.parse(obj["start_time"]),
        end_time=timestamps.parse(end) if end else None,
        country=obj.get("country"),
        place=obj.get("place"),
        latitude=obj.get("latitude"),
        longitude=obj.get("longitude"),
        participants=[org_of(r) for r in obj.get("participant_refs", ())],
        exercise_ref=obj.get("exercise_ref"),
        owner=row.owner_org_id,
        distribution=row.distribution,
        sharing_group=row.sharing_group_id,
        tlp=Tlp(row.tlp),
        published=row.published,
    )


def _row(session: Session, principal: Principal, event_id: str) -> StixObject:
    row = session.scalars(
        current(principal, COOPERATION_EVENT).where(StixObject.stix_id == event_id)
    ).first()
    if row is None:
        raise NotFound(f"no cooperation event {event_id}")
    return row


def get_event(session: Session, principal: Principal, event_id: str) -> Event:
    return _event(_row(session, principal, event_id))


def check_filter(session: Session, flt: EventFilter) -> str | None:
    """Refuse a filter that cannot be met; return the organization's UUID if one is named."""
    if flt.event_type is not None and flt.event_type not in EVENT_TYPES:
        raise Invalid(f"type must be one of {', '.join(EVENT_TYPES)}")
    if flt.country is not None and not is_country(flt.country):
        raise Invalid(
            f"unknown country code {flt.country!r}: use ISO 3166 alpha-2, e.g. FR, "
            "or a user-assigned code (QM-QZ, XA-XZ)"
        )
    if flt.since is not None and flt.until is not None and flt.until < flt.since:
        raise Invalid("the date range ends before it starts")
    if flt.organization is None:
        return None
    return resolve_orgs(session, [flt.organization])[0].id


def _matches(event: Event, flt: EventFilter, org_id: str | None) -> bool:
    if flt.country is not None and event.country != flt.country:
        return False
    if flt.event_type is not None and event.event_type != flt.event_type:
        return False
    if org_id is not None and org_id != event.owner and org_id not in event.participants:
        return False
    if flt.since is not None and event.last_moment < datetime.combine(flt.since, time(), UTC):
        return False
    until = flt.until
    return until is None or event.start_time < datetime.combine(
        until + timedelta(days=1), time(), UTC
    )


def list_events(
    session: Session, principal: Principal, flt: EventFilter | None = None
) -> list[Event]:
    """The events the caller sees that match the filter, in start order."""
    flt = flt or EventFilter()
    org_id = check_filter(session, flt)
    rows = session.scalars(current(principal, COOPERATION_EVENT))
    found = [e for e in map(_event, rows) if _matches(e, flt, org_id)]
    return sorted(found, key=lambda e: (e.start_time, e.name, e.id))


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def spread_of(events: list[Event]) -> Spread:
    """Events per country per month of their start."""
    counts = Counter((_month(e.start_time), e.country or "") for e in events)
    if not counts:
        return Spread([], [], {})
    months = sorted({m for m, _c in counts})
    per_country = Counter[str]()
    for (_m, country), n in counts.items():
        per_country[country] += n
    order = sorted(per_country, key=lambda c: (-per_country[c], c == "", c))
    return Spread(_months(months[0], months[-1]), order, dict(counts))


def spread(session: Session, principal: Principal, flt: EventFilter | None = None) -> Spread:
    return spread_of(list_events(session, principal, flt))


def organization_names(session: Session, org_ids: set[str]) -> dict[str, str]:
    if not org_ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    )
    return {str(org_id): str(name) for org_id, name in rows}


# --- writing -----------------------------------------------------------------------------


def create_event(
    session: Session,
    principal: Principal,
    fields: EventFields,
    sharing: EventSharing,
    published: bool = True,
) -> Event:
    """A new event owned by the caller's organization, shared as `sharing` says."""
    _require_writer(principal, published)
    _check_sharing(principal, sharing)
    marking = sharing.tlp.marking_id
    obj = new_object(
        COOPERATION_EVENT,
        principal,
        sharing.distribution,
        sharing.sharing_group,
        [marking] if marking else None,
    )
    _apply(session, principal, obj, fields)
    write_one(session, principal, obj, published)
    _audit(session, principal, "create", obj["id"])
    return get_event(session, principal, obj["id"])


def update_event(
    session: Session,
    principal: Principal,
    event_id: str,
    fields: EventFields,
    sharing: EventSharing | None = None,
    published: bool = True,
) -> Event:
    """A new version of an event of the caller's organization; `sharing` None keeps it."""
    row = _row(session, principal, event_id)
    if row.owner_org_id != principal.org_id:
        raise Forbidden("only the organization that owns an event edits it")
    _require_writer(principal, published)
    obj = stix_of(row)
    if sharing is not None:
        _check_sharing(principal, sharing)
        obj["extensions"][EXTENSION_ID] = sharing_extension(
            sharing.distribution.value, sharing.sharing_group
        )
        marking = sharing.tlp.marking_id
        if marking:
            obj["object_marking_refs"] = [marking]
        else:
            obj.pop("object_marking_refs", None)
    _apply(session, principal, obj, fields)
    previous = timestamps.parse(obj["modified"])
    obj["modified"] = stamp(max(utcnow(), previous + timedelta(milliseconds=1)))
    write_one(session, principal, obj, published)
    _audit(session, principal, "update", event_id)
    return get_event(session, principal, event_id)
