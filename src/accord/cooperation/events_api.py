"""REST: /api/v1/events, cooperation events. Thin: parse, call the service, render.

404 for an event the caller cannot see, 403 for a write the caller's role or
organization may not make, 422 for bad input (dates out of order, an unknown
organization or country); nothing is written then. The list, the iCalendar export and
the spread across countries take the same filters and hold only what the caller sees.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accord.api.auth import require_principal
from accord.api.fields import Text
from accord.cooperation import events
from accord.cooperation.events import Event, EventFields, EventFilter, EventSharing, Spread
from accord.cooperation.events_ical import calendar
from accord.intel import timestamps
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp

router = APIRouter(prefix="/events", tags=["events"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
CALENDAR = "text/calendar; charset=utf-8"

EventType = Literal["meeting", "exercise", "conference", "visit"]
TlpName = Literal["none", "clear", "green", "amber", "amber+strict", "red"]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=500)]
    event_type: EventType
    start_time: AwareDatetime
    end_time: AwareDatetime | None = None
    description: Annotated[Text, Field(max_length=100_000)] = ""
    country: Annotated[
        str | None, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2 code")
    ] = None
    place: Annotated[Text | None, Field(max_length=500)] = None
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None
    participants: Annotated[
        list[Text],
        Field(max_length=500, description="participating organizations (UUIDs or names)"),
    ] = []
    exercise_ref: Annotated[
        str | None, Field(pattern=r"^x-accord-exercise--[0-9a-f-]{36}$", max_length=64)
    ] = None
    distribution: Distribution | None = Field(
        None, description="default org on create; on update, absent keeps the event's sharing"
    )
    sharing_group: Annotated[str | None, Field(max_length=64)] = None
    tlp: TlpName | None = None

    def fields(self) -> EventFields:
        return EventFields(
            name=self.name,
            event_type=self.event_type,
            start_time=self.start_time,
            end_time=self.end_time,
            description=self.description,
            country=self.country,
            place=self.place,
            latitude=self.latitude,
            longitude=self.longitude,
            participants=list(self.participants),
            exercise_ref=self.exercise_ref,
        )

    def sharing(self, keep: bool) -> EventSharing | None:
        """The requested sharing; None (keep the event's) when none is given on an update."""
        if keep and self.distribution is None and self.tlp is None and self.sharing_group is None:
            return None
        return EventSharing(
            self.distribution or Distribution.ORG,
            self.sharing_group,
            Tlp.parse(self.tlp or "none"),
        )


class EventOut(BaseModel):
    id: str
    version: str
    name: str
    description: str
    event_type: str
    start_time: str
    end_time: str | None
    country: str | None
    place: str | None
    latitude: float | None
    longitude: float | None
    participants: list[str]
    exercise_ref: str | None
    owner: str
    distribution: str
    sharing_group: str | None
    tlp: str
    published: bool

    @classmethod
    def of(cls, e: Event) -> EventOut:
        return cls(
            id=e.id,
            version=e.version,
            name=e.name,
            description=e.description,
            event_type=e.event_type,
            start_time=timestamps.format_stix(e.start_time),
            end_time=timestamps.format_stix(e.end_time) if e.end_time else None,
            country=e.country,
            place=e.place,
            latitude=e.latitude,
            longitude=e.longitude,
            participants=e.participants,
            exercise_ref=e.exercise_ref,
            owner=e.owner,
            distribution=e.distribution,
            sharing_group=e.sharing_group,
            tlp=e.tlp.label,
            published=e.published,
        )


class SpreadRow(BaseModel):
    month: str
    country: str | None
    events: int


class SpreadOut(BaseModel):
    months: list[str]
    countries: list[str | None]
    counts: list[SpreadRow]
    total: int

    @classmethod
    def of(cls, s: Spread) -> SpreadOut:
        rows = [
            SpreadRow(month=m, country=c or None, events=s.counts[(m, c)])
            for m in s.months
            for c in s.countries
            if (m, c) in s.counts
        ]
        return cls(
            months=s.months, countries=[c or None for c in s.countries], counts=rows, total=s.total
        )


def _filter(
    country: Annotated[
        str | None, Query(max_length=2, description="ISO 3166 alpha-2 country code")
    ] = None,
    organization: Annotated[
        str | None, Query(max_length=200, description="a participant or owner (name or UUID)")
    ] = None,
    type: Annotated[EventType | None, Query(description="the event type")] = None,
    since: Annotated[
        date | None, Query(description="events ending on or after (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        date | None, Query(description="events starting on or before (YYYY-MM-DD)")
    ] = None,
) -> EventFilter:
    return EventFilter(country or None, organization or None, type, since, until)


FilterDep = Annotated[EventFilter, Depends(_filter)]


@router.get("", response_model=list[EventOut], summary="Events the caller sees, in start order")
def list_events(request: Request, principal: PrincipalDep, flt: FilterDep) -> list[EventOut]:
    with request.app.state.db.read() as session:
        return [EventOut.of(e) for e in events.list_events(session, principal, flt)]


@router.post(
    "",
    response_model=EventOut,
    status_code=201,
    summary="Record an event of the caller's organization (published unless ?draft=true)",
)
def create_event(
    request: Request, principal: PrincipalDep, body: EventIn, draft: bool = False
) -> EventOut:
    sharing = body.sharing(keep=False)
    assert sharing is not None
    with request.app.state.db.write() as session:
        created = events.create_event(session, principal, body.fields(), sharing, not draft)
        return EventOut.of(created)


@router.get(
    ".ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
    summary="The events the caller sees, with the list's filters, as iCalendar (RFC 5545)",
)
def events_ics(request: Request, principal: PrincipalDep, flt: FilterDep) -> Response:
    with request.app.state.db.read() as session:
        found = events.list_events(session, principal, flt)
        names = events.organization_names(session, {o for e in found for o in e.participants})
        text = calendar(found, names)
    return Response(content=text.encode("utf-8"), media_type=CALENDAR)


@router.get(
    "/spread",
    response_model=SpreadOut,
    summary="How many of the events the caller sees started in each month in each country",
)
def spread(request: Request, principal: PrincipalDep, flt: FilterDep) -> SpreadOut:
    with request.app.state.db.read() as session:
        return SpreadOut.of(events.spread(session, principal, flt))


@router.get("/{event_id}", response_model=EventOut)
def get_event(request: Request, principal: PrincipalDep, event_id: str) -> EventOut:
    with request.app.state.db.read() as session:
        return EventOut.of(events.get_event(session, principal, event_id))


@router.put(
    "/{event_id}",
    response_model=EventOut,
    summary="A new version of an event of the caller's organization (all its fields)",
)
def update_event(
    request: Request, principal: PrincipalDep, event_id: str, body: EventIn, draft: bool = False
) -> EventOut:
    with request.app.state.db.write() as session:
        updated = events.update_event(
            session, principal, event_id, body.fields(), body.sharing(keep=True), not draft
        )
        return EventOut.of(updated)
