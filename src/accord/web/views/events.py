"""Cooperation events' pages: calendar, list, map, spread chart, an event, the form.

Thin: every page reads through `accord.cooperation.events`, which reads through the
access rule, so a calendar entry, a map marker, a bar of the chart and a line of the
iCalendar download exist only for what the viewer may see. The filters (country,
organization, type) are a GET form shared by every view and carried by its links.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_skeleton, get_day_names
from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from accord.cooperation import coverage, events
from accord.cooperation.events import (
    EVENT_TYPES,
    Event,
    EventFields,
    EventFilter,
    EventSharing,
)
from accord.cooperation.events_ical import calendar
from accord.db.base import utcnow
from accord.errors import AccordError, Conflict, Forbidden, Invalid
from accord.intel.service import get_latest
from accord.organizations.service import list_organizations
from accord.sharing.distribution import Distribution
from accord.sharing.service import groups_visible_to
from accord.sharing.tlp import Tlp
from accord.web import i18n
from accord.web.i18n import N_
from accord.web.i18n import gettext as _
from accord.web.reportform import DISTRIBUTIONS, TLP_CHOICES
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import field, redirect, web_router
from accord.web.views.events_chart import chart, legend
from accord.web.views.reports import coverage_card

router = web_router()
CALENDAR = "text/calendar; charset=utf-8"
TYPE_NAMES = {
    "meeting": N_("Meeting"),
    "exercise": N_("Exercise"),
    "conference": N_("Conference"),
    "visit": N_("Visit"),
}


def country_names() -> dict[str, str]:
    """Every country, named in the page's language, in alphabetical order of the name."""
    locale = i18n.BABEL_LOCALES[i18n.current()]
    named = {code: events.country_name(code, locale) for code in events.countries()}
    return dict(sorted(named.items(), key=lambda item: item[1]))


# --- filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    country: str = ""
    organization: str = ""
    type: str = ""

    @classmethod
    def of(cls, request: Request) -> Filters:
        q = request.query_params
        return cls(
            q.get("country", "").strip().upper()[:2],
            q.get("organization", "").strip()[:200],
            q.get("type", "").strip()[:20],
        )

    def query(self, **extra: str) -> str:
        """The filters (and `extra`) as a query string, '?' included when not empty."""
        pairs = {k: v for k, v in vars(self).items() if v} | {k: v for k, v in extra.items() if v}
        return "?" + urlencode(pairs) if pairs else ""

    def service(self, since: date | None = None, until: date | None = None) -> EventFilter:
        return EventFilter(
            self.country or None, self.organization or None, self.type or None, since, until
        )


@dataclass
class Listing:
    """What every view shows around its events: the filter form and its outcome."""

    events: list[Event]
    names: dict[str, str]
    countries: dict[str, str]
    error: str | None = None


def _listing(
    session: Session,
    me: WebUser,
    filters: Filters,
    since: date | None = None,
    until: date | None = None,
) -> Listing:
    names = {org.id: org.name for org in list_organizations(session)}
    all_countries = country_names()
    try:
        found = events.list_events(session, me.principal, filters.service(since, until))
        error = None
    except Invalid as exc:
        found, error = [], exc.detail
    # User-assigned codes (scenario countries) are offered when shown or chosen.
    extra = {e.country for e in found if e.country} | {filters.country} - {""}
    for code in sorted(c for c in extra if c not in all_countries and events.user_assigned(c)):
        all_countries[code] = code
    return Listing(found, names, all_countries, error)


def _context(request: Request, filters: Filters, listing: Listing, view: str) -> dict[str, Any]:
    return {
        "filters": filters,
        "events": listing.events,
        "names": listing.names,
        "countries": listing.countries,
        "filter_error": listing.error,
        "type_names": TYPE_NAMES,
        "view": view,
        "ics_link": "/events/export.ics" + filters.query(),
    }


# --- the views -------------------------------------------------------------------------


@router.get("/events")
def list_page(request: Request, me: Me) -> Response:
    filters = Filters.of(request)
    with request.app.state.db.read() as session:
        listing = _listing(session, me, filters)
    return render(request, "events/list.html", _context(request, filters, listing, "list"))


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    events: list[Event]


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC).date()
    except ValueError:
        today = utcnow().date()
        return today.replace(day=1)


def _weeks(first: date, found: list[Event]) -> list[list[Day]]:
    start = first - timedelta(days=first.weekday())
    following = (first + timedelta(days=32)).replace(day=1)
    by_day: dict[date, list[Event]] = {}
    for event in found:
        for d in event.days():
            by_day.setdefault(d, []).append(event)
    weeks: list[list[Day]] = []
    current = start
    while current < following or current.weekday() != 0:
        if current.weekday() == 0:
            weeks.append([])
        weeks[-1].append(Day(current, current.month == first.month, by_day.get(current, [])))
        current += timedelta(days=1)
    return weeks


@router.get("/events/calendar")
def calendar_page(request: Request, me: Me) -> Response:
    filters = Filters.of(request)
    first = _month(request.query_params.get("month", ""))
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    with request.app.state.db.read() as session:
        listing = _listing(session, me, filters, first, following - timedelta(days=1))
    context = _context(request, filters, listing, "calendar")
    locale = i18n.BABEL_LOCALES[i18n.current()]
    context.update(
        weeks=_weeks(first, listing.events),
        weekdays=[get_day_names("abbreviated", locale=locale)[i] for i in range(7)],
        month_title=format_skeleton("yMMMM", first, locale=locale),
        prev_link="/events/calendar" + filters.query(month=previous.strftime("%Y-%m")),
        next_link="/events/calendar" + filters.query(month=following.strftime("%Y-%m")),
        month=first.strftime("%Y-%m"),
        ics_link="/events/export.ics"
        + filters.query(since=first.isoformat(), until=(following - timedelta(days=1)).isoformat()),
    )
    return render(request, "events/calendar.html", context)


def _marker(event: Event, names: dict[str, str], countries: dict[str, str]) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "type": _(TYPE_NAMES[event.event_type]),
        "when": i18n.day(event.start_time),
        "place": ", ".join(
            p for p in (event.place or "", countries.get(event.country or "", "")) if p
        ),
        "lat": event.latitude,
        "lon": event.longitude,
        "url": f"/events/{event.id}",
    }


@router.get("/events/map")
def map_page(request: Request, me: Me) -> Response:
    filters = Filters.of(request)
    with request.app.state.db.read() as session:
        listing = _listing(session, me, filters)
    context = _context(request, filters, listing, "map")
    placed = [e for e in listing.events if e.has_position]
    context.update(
        unplaced=[e for e in listing.events if not e.has_position],
        map_data={"events": [_marker(e, listing.names, listing.countries) for e in placed]},
    )
    return render(request, "events/map.html", context)


@router.get("/events/spread")
def spread_page(request: Request, me: Me) -> Response:
    filters = Filters.of(request)
    with request.app.state.db.read() as session:
        listing = _listing(session, me, filters)
    context = _context(request, filters, listing, "spread")
    spread = events.spread_of(listing.events)
    none = _("No country")
    labels = {c: (listing.countries.get(c, c) if c else none) for c in spread.countries}
    context.update(
        spread=spread,
        country_labels=labels,
        chart=chart(spread, labels),
        legend=legend(spread, labels),
    )
    return render(request, "events/spread.html", context)


def _day_param(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/events/export.ics")
def export_ics(request: Request, me: Me) -> Response:
    filters = Filters.of(request)
    q = request.query_params
    since, until = _day_param(q.get("since", "")), _day_param(q.get("until", ""))
    with request.app.state.db.read() as session:
        try:
            found = events.list_events(session, me.principal, filters.service(since, until))
        except Invalid as exc:
            return Response(exc.detail, status_code=422, media_type="text/plain; charset=utf-8")
        names = events.organization_names(session, {o for e in found for o in e.participants})
    return Response(
        calendar(found, names).encode("utf-8"),
        media_type=CALENDAR,
        headers={"Content-Disposition": 'attachment; filename="accord-events.ics"'},
    )


# --- the form --------------------------------------------------------------------------


@dataclass
class EventForm:
    name: str = ""
    event_type: str = "meeting"
    description: str = ""
    start_day: str = ""
    start_clock: str = ""
    end_day: str = ""
    end_clock: str = ""
    country: str = ""
    place: str = ""
    latitude: str = ""
    longitude: str = ""
    participants: list[str] = dataclasses.field(default_factory=list)
    tlp: str = "green"
    distribution: str = Distribution.NODE.value
    sharing_group: str = ""
    publish: bool = True

    @classmethod
    def parse(cls, form: FormData) -> EventForm:
        return cls(
            name=field(form, "name"),
            event_type=field(form, "event_type"),
            description=field(form, "description"),
            start_day=field(form, "start_day"),
            start_clock=field(form, "start_clock"),
            end_day=field(form, "end_day"),
            end_clock=field(form, "end_clock"),
            country=field(form, "country").upper(),
            place=field(form, "place"),
            latitude=field(form, "latitude"),
            longitude=field(form, "longitude"),
            participants=[p for p in form.getlist("participants") if isinstance(p, str)],
            tlp=field(form, "tlp"),
            distribution=field(form, "distribution"),
            sharing_group=field(form, "sharing_group"),
            publish=field(form, "publish") == "yes",
        )

    @classmethod
    def of(cls, event: Event) -> EventForm:
        tlp = next((code for code, level in TLP_CHOICES.items() if level is event.tlp), "none")
        end = event.end_time
        return cls(
            name=event.name,
            event_type=event.event_type,
            description=event.description,
            start_day=event.start_time.date().isoformat(),
            start_clock=event.start_time.strftime("%H:%M"),
            end_day=end.date().isoformat() if end else "",
            end_clock=end.strftime("%H:%M") if end else "",
            country=event.country or "",
            place=event.place or "",
            latitude="" if event.latitude is None else str(event.latitude),
            longitude="" if event.longitude is None else str(event.longitude),
            participants=list(event.participants),
            tlp=tlp,
            distribution=event.distribution,
            sharing_group=event.sharing_group or "",
            publish=event.published,
        )

    def _moment(self, day_text: str, clock: str, what: str) -> datetime:
        try:
            moment = datetime.strptime(f"{day_text} {clock or '00:00'}", "%Y-%m-%d %H:%M").replace(
                tzinfo=UTC
            )
        except ValueError:
            raise Invalid(
                _("Give %(what)s as a date (and a time, if you wish).") % {"what": what}
            ) from None
        return moment.replace(tzinfo=UTC)

    def _number(self, text: str, what: str) -> float | None:
        if not text:
            return None
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise Invalid(_("%(what)s must be a number.") % {"what": what}) from None

    def fields(self) -> EventFields:
        if not self.name:
            raise Invalid(_("Give the event a name."))
        if len(self.name) > 500 or len(self.place) > 500 or len(self.description) > 100_000:
            raise Invalid(_("A text is too long: at most %(limit)s characters.") % {"limit": 500})
        if self.event_type not in EVENT_TYPES:
            raise Invalid(_("Choose the kind of event."))
        if not self.start_day:
            raise Invalid(_("Give the first day of the event."))
        start = self._moment(self.start_day, self.start_clock, _("the first day"))
        end = None
        if self.end_day or self.end_clock:
            end = self._moment(self.end_day or self.start_day, self.end_clock, _("the last day"))
            if end < start:
                raise Invalid(_("The event ends before it starts."))
        return EventFields(
            name=self.name,
            event_type=self.event_type,
            start_time=start,
            end_time=end,
            description=self.description,
            country=self.country or None,
            place=self.place or None,
            latitude=self._number(self.latitude, _("Latitude")),
            longitude=self._number(self.longitude, _("Longitude")),
            participants=self.participants,
        )

    def sharing(self) -> EventSharing:
        if self.tlp != "none" and self.tlp not in TLP_CHOICES:
            raise Invalid(_("Choose a TLP level from the list."))
        if self.distribution not in DISTRIBUTIONS:
            raise Invalid(_("Choose who may see the event."))
        distribution = Distribution(self.distribution)
        group = self.sharing_group or None if distribution is Distribution.GROUP else None
        if distribution is Distribution.GROUP and group is None:
            raise Invalid(_("Choose one of your organization's sharing groups."))
        return EventSharing(distribution, group, TLP_CHOICES.get(self.tlp, Tlp.NONE))


def _with_scenario_country(countries: dict[str, str], code: str) -> dict[str, str]:
    """The form keeps an event's user-assigned country code (QM-QZ, XA-XZ) choosable."""
    if code and code not in countries and events.user_assigned(code):
        return {**countries, code: code}
    return countries


def _editor(
    request: Request,
    me: WebUser,
    form: EventForm,
    event_id: str | None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.db.read() as session:
        organizations = list_organizations(session)
        groups = [
            g for g in groups_visible_to(session, me.principal) if g.id in me.principal.group_ids
        ]
    return render(
        request,
        "events/form.html",
        {
            "form": form,
            "event_id": event_id,
            "error": error,
            "organizations": organizations,
            "groups": groups,
            "countries": _with_scenario_country(country_names(), form.country),
            "type_names": TYPE_NAMES,
            "tlp_choices": TLP_CHOICES,
            "distributions": DISTRIBUTIONS,
        },
        status=status,
    )


@router.get("/events/new")
def new_page(request: Request, me: Me) -> Response:
    return _editor(request, me, EventForm(publish=me.can_publish), None)


@router.post("/events")
def create(request: Request, me: Me) -> Response:
    form = EventForm.parse(form_of(request))
    try:
        with request.app.state.db.write() as session:
            created = events.create_event(
                session, me.principal, form.fields(), form.sharing(), form.publish
            )
    except AccordError as exc:
        return _editor(request, me, form, None, exc.detail, 422)
    web_session(request).flash("success", _("The event has been recorded."))
    return redirect(f"/events/{created.id}")


@router.get("/events/{event_id}")
def event_page(request: Request, me: Me, event_id: str) -> Response:
    return _event_page(request, me, event_id)


def _event_page(
    request: Request, me: WebUser, event_id: str, error: str | None = None, status: int = 200
) -> Response:
    with request.app.state.db.read() as session:
        event = events.get_event(session, me.principal, event_id)
        names = {org.id: org.name for org in list_organizations(session)}
        row = get_latest(session, me.principal, event_id)
        public = coverage_card(session, me, row, f"/events/{event_id}")
    return render(
        request,
        "events/event.html",
        {
            "event": event,
            "names": names,
            "countries": country_names(),
            "type_names": TYPE_NAMES,
            "may_edit": event.owner == me.org_id and me.can_write,
            "map_data": {
                "events": [_marker(event, names, country_names())] if event.has_position else []
            },
            "coverage": public,
            "error": error,
        },
        status=status,
    )


@router.post("/events/{event_id}/release")
def release(request: Request, me: Me, event_id: str) -> Response:
    """Release the event for public coverage, as the object page does; refusals
    re-render the event page with the reason."""
    with request.app.state.db.read() as session:
        events.get_event(session, me.principal, event_id)  # 404 for what one cannot see
    try:
        with request.app.state.db.write() as session:
            coverage.release(session, me.principal, event_id)
    except (Invalid, Conflict, Forbidden) as exc:
        reason = _("Not released: %(reason)s") % {"reason": exc}
        return _event_page(request, me, event_id, reason, 422)
    web_session(request).flash(
        "success", _("Released: it now appears on the public news page, the feed and the digest.")
    )
    return redirect(f"/events/{event_id}")


@router.post("/events/{event_id}/withdraw")
def withdraw(request: Request, me: Me, event_id: str) -> Response:
    """Take the event off public coverage; refusals re-render the event page."""
    with request.app.state.db.read() as session:
        events.get_event(session, me.principal, event_id)
    try:
        with request.app.state.db.write() as session:
            coverage.unrelease(session, me.principal, event_id)
    except (Conflict, Forbidden) as exc:
        reason = _("Not withdrawn: %(reason)s") % {"reason": exc}
        return _event_page(request, me, event_id, reason, 422)
    web_session(request).flash("success", _("Withdrawn from public coverage."))
    return redirect(f"/events/{event_id}")


@router.get("/events/{event_id}/edit")
def edit_page(request: Request, me: Me, event_id: str) -> Response:
    with request.app.state.db.read() as session:
        event = events.get_event(session, me.principal, event_id)
    if event.owner != me.org_id or not me.can_write:
        raise Forbidden(_("Only the organization that owns an event edits it."))
    return _editor(request, me, EventForm.of(event), event_id)


@router.post("/events/{event_id}")
def update(request: Request, me: Me, event_id: str) -> Response:
    form = EventForm.parse(form_of(request))
    with request.app.state.db.read() as session:
        events.get_event(session, me.principal, event_id)  # 404 for what one cannot see
    try:
        with request.app.state.db.write() as session:
            events.update_event(
                session, me.principal, event_id, form.fields(), form.sharing(), form.publish
            )
    except AccordError as exc:
        return _editor(request, me, form, event_id, exc.detail, 422)
    web_session(request).flash("success", _("The event has been updated."))
    return redirect(f"/events/{event_id}")
