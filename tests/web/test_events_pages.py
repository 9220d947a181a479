"""Cooperation events' pages over HTTP: calendar, list, map, chart, an event and the
form; filters on every view; the .ics download; bad input re-shows the form with the
reason and writes nothing; and nothing one may not see on any of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.cooperation import events
from accord.cooperation.events import Event, EventFields, EventSharing
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.factories import Account, World
from tests.web.conftest import WebServer
from tests.web.support import Browser, Fields

STATIC = Path(events.__file__).parents[1] / "web" / "static"
_DATA = re.compile(r'<script type="application/json" id="events-data">(.*?)</script>', re.S)
_SRC = re.compile(r'(?:src|href)="([^"]+)"')


class Cast:
    def __init__(self, world: World) -> None:
        self.a_org: Organization = world.org("General Staff of Aldoria")
        self.b_org: Organization = world.org("General Staff of Belvania")
        self.c_org: Organization = world.org("Defence Staff of Corvana")
        self.a: Account = world.account(self.a_org)
        self.b: Account = world.account(self.b_org)
        self.c: Account = world.account(self.c_org)
        self.a_observer: Account = world.account(self.a_org, Role.OBSERVER)


@pytest.fixture
def cast(world: World) -> Cast:
    return Cast(world)


def add(
    world: World,
    who: Account,
    name: str,
    start: datetime,
    distribution: Distribution = Distribution.NODE,
    **extra: object,
) -> Event:
    fields = EventFields(
        name=name, event_type=str(extra.pop("event_type", "meeting")), start_time=start, **extra
    )  # type: ignore[arg-type]
    with world.db.write() as session:
        return events.create_event(
            session, who.principal, fields, EventSharing(distribution, None, Tlp.GREEN)
        )


@pytest.fixture
def browser_for(web: WebServer) -> Iterator[object]:
    opened: list[Browser] = []

    def make(account: Account) -> Browser:
        b = Browser(web.url)
        assert b.sign_in(account.user.email).status_code in (200, 303)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.close()


def stored(world: World) -> int:
    with world.db.read() as session:
        query = select(func.count()).select_from(StixObject)
        return int(session.scalar(query.where(StixObject.type == events.COOPERATION_EVENT)) or 0)


def map_data(html: str) -> list[dict[str, object]]:
    found = _DATA.search(html)
    assert found is not None
    return json.loads(unescape(found.group(1)))["events"]  # type: ignore[no-any-return]


def test_every_view_with_filters(world: World, cast: Cast, browser_for: object) -> None:
    varna = add(
        world,
        cast.a,
        "Staff talks in Varna",
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        end_time=datetime(2026, 3, 4, 17, tzinfo=UTC),
        country="BG",
        place="Varna",
        latitude=43.2141,
        longitude=27.9147,
        participants=[cast.b_org.id],
    )
    drill = add(
        world,
        cast.b,
        "Border drill",
        datetime(2026, 3, 20, 6, tzinfo=UTC),
        event_type="exercise",
        country="RO",
        place="Constanta",
    )
    hidden = add(
        world,
        cast.c,
        "Corvana internal review",
        datetime(2026, 3, 10, tzinfo=UTC),
        Distribution.ORG,
    )
    b = browser_for(cast.a)  # type: ignore[operator]

    cal = b.get("/events/calendar", params={"month": "2026-03"})
    assert cal.status_code == 200
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        cell = re.search(rf'data-day="{day}">(.*?)</td>', cal.text, re.S)
        assert cell is not None
        assert "Staff talks in Varna" in cell.group(1)
    cell_20 = re.search(r'data-day="2026-03-20">(.*?)</td>', cal.text, re.S)
    assert cell_20 is not None
    assert "Border drill" in cell_20.group(1)
    assert hidden.name not in cal.text
    assert 'href="/events/calendar?month=2026-02"' in cal.text
    assert 'href="/events/calendar?month=2026-04"' in cal.text
    filtered_cal = b.get("/events/calendar", params={"month": "2026-03", "country": "RO"})
    assert "Border drill" in filtered_cal.text
    assert "Staff talks in Varna" not in filtered_cal.text
    assert "/events/calendar?country=RO&amp;month=2026-04" in filtered_cal.text

    listing = b.get("/events")
    assert "Staff talks in Varna" in listing.text
    assert "Border drill" in listing.text
    assert hidden.name not in listing.text
    by_type = b.get("/events", params={"type": "exercise"})
    assert "Border drill" in by_type.text
    assert "Staff talks in Varna" not in by_type.text
    by_org = b.get("/events", params={"organization": cast.b_org.id})
    assert "Border drill" in by_org.text  # owner
    assert "Staff talks in Varna" in by_org.text  # participant
    by_c = b.get("/events", params={"organization": cast.c_org.id})
    assert hidden.name not in by_c.text
    assert "No events match." in by_c.text
    unknown = b.get("/events", params={"organization": "Ministry of Nowhere"})
    assert unknown.status_code == 200
    assert "unknown organization" in unescape(unknown.text)

    shown = b.get("/events/map")
    data = map_data(shown.text)
    assert [m["id"] for m in data] == [varna.id]
    assert data[0]["lat"] == 43.2141
    unplaced = re.search(r'<ul id="unplaced">(.*?)</ul>', shown.text, re.S)
    assert unplaced is not None
    assert "Border drill" in unplaced.group(1)
    assert hidden.name not in shown.text
    assert map_data(b.get("/events/map", params={"country": "RO"}).text) == []

    chart = b.get("/events/spread")
    assert "<svg" in chart.text
    assert '<title id="chart-title">' in chart.text
    assert '<desc id="chart-desc">' in chart.text
    assert 'data-country="BG" data-events="1"' in chart.text
    assert 'data-country="RO" data-events="1"' in chart.text
    assert 'id="spread-table"' in chart.text
    assert ">Bulgaria<" in chart.text
    assert "2 events in 2 countries" in chart.text
    only_ro = b.get("/events/spread", params={"country": "RO"})
    assert 'data-country="BG"' not in only_ro.text

    page = b.get(f"/events/{varna.id}")
    assert "Staff talks in Varna" in page.text
    assert "General Staff of Belvania" in page.text
    assert b.get(f"/events/{hidden.id}").status_code == 404

    ics = b.get("/events/export.ics", params={"country": "BG"})
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    assert f"UID:{varna.id}" in ics.text
    assert drill.id not in ics.text
    assert hidden.id not in ics.text
    assert 'href="/events/export.ics?country=BG"' in b.get("/events", params={"country": "BG"}).text


def test_the_form_creates_and_edits_an_event(world: World, cast: Cast, browser_for: object) -> None:
    b = browser_for(cast.a)  # type: ignore[operator]
    form = b.get("/events/new")
    fields = Fields()
    fields.feed(form.text)
    unlabelled = [
        c for c in fields.controls if c.get("id") not in fields.label_for and not c["_wrapped"]
    ]
    assert unlabelled == []
    body = {
        "name": "Conference on drones",
        "event_type": "conference",
        "start_day": "2026-04-14",
        "start_clock": "09:30",
        "end_day": "2026-04-15",
        "country": "GE",
        "place": "Batumi",
        "latitude": "41.6168",
        "longitude": "41.6367",
        "participants": [cast.b_org.id, cast.c_org.id],
        "tlp": "green",
        "distribution": "node",
        "publish": "yes",
    }
    made = b.post("/events", body)
    assert made.status_code == 303
    location = made.headers["location"]
    assert location.startswith("/events/x-accord-cooperation-event--")
    event_id = location.rsplit("/", 1)[1]
    with world.db.read() as session:
        event = events.get_event(session, cast.b.principal, event_id)
    assert event.start_time == datetime(2026, 4, 14, 9, 30, tzinfo=UTC)
    assert event.participants == [cast.b_org.id, cast.c_org.id]
    assert event.tlp is Tlp.GREEN
    assert event.published

    edit = b.get(f"/events/{event_id}/edit")
    assert 'value="Batumi"' in edit.text
    changed = b.post(f"/events/{event_id}", {**body, "place": "Kutaisi"})
    assert changed.status_code == 303
    with world.db.read() as session:
        assert events.get_event(session, cast.a.principal, event_id).place == "Kutaisi"

    # A scenario country (user-assigned code) stays chosen when the event is edited again.
    edited = {**body, "place": "Kutaisi", "country": "QM"}
    assert b.post(f"/events/{event_id}", edited).status_code == 303
    assert '<option value="QM" selected>' in b.get(f"/events/{event_id}/edit").text
    with world.db.read() as session:
        assert events.get_event(session, cast.a.principal, event_id).country == "QM"

    # Another organization may read it but not edit it.
    other = browser_for(cast.b)  # type: ignore[operator]
    assert "Edit the event" not in other.get(f"/events/{event_id}").text
    assert other.get(f"/events/{event_id}/edit").status_code == 403
    refused = other.post(f"/events/{event_id}", {**body, "place": "Tbilisi"})
    assert refused.status_code == 422
    assert "only the organization that owns an event edits it" in unescape(refused.text)
    with world.db.read() as session:
        assert events.get_event(session, cast.a.principal, event_id).place == "Kutaisi"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"end_day": "2026-04-01"}, "The event ends before it starts."),
        ({"participants": ["Ministry of Nowhere"]}, "unknown organization 'Ministry of Nowhere'"),
        ({"latitude": "41.6", "longitude": ""}, "latitude and longitude together"),
        ({"latitude": "north"}, "Latitude must be a number."),
        ({"name": ""}, "Give the event a name."),
        ({"start_day": "next week"}, "as a date"),
        ({"distribution": "group"}, "sharing groups"),
    ],
)
def test_bad_input_reshows_the_form_and_writes_nothing(
    world: World, cast: Cast, browser_for: object, change: dict[str, object], words: str
) -> None:
    b = browser_for(cast.a)  # type: ignore[operator]
    b.get("/events/new")
    body: dict[str, object] = {
        "name": "Visit to the academy",
        "event_type": "visit",
        "start_day": "2026-04-14",
        "latitude": "41.6",
        "longitude": "41.6",
        "tlp": "green",
        "distribution": "node",
        "publish": "yes",
    }
    response = b.post("/events", {**body, **change})
    assert response.status_code == 422
    assert words in unescape(response.text)
    assert 'name="csrf_token"' in response.text
    assert stored(world) == 0


def test_csrf_and_observers(world: World, cast: Cast, browser_for: object) -> None:
    b = browser_for(cast.a)  # type: ignore[operator]
    b.get("/events/new")
    body = {"name": "X", "event_type": "meeting", "start_day": "2026-04-14", "tlp": "none"}
    assert b.post("/events", {**body, "distribution": "node"}, token=False).status_code == 403
    observer = browser_for(cast.a_observer)  # type: ignore[operator]
    observer.get("/events")
    refused = observer.post("/events", {**body, "distribution": "node"})
    assert refused.status_code == 422
    assert "may not write" in unescape(refused.text)
    assert stored(world) == 0


def test_the_map_uses_only_local_files(
    world: World, cast: Cast, browser_for: object, web: WebServer
) -> None:
    add(world, cast.a, "Talks", datetime(2026, 3, 2, tzinfo=UTC), latitude=1.0, longitude=2.0)
    b = browser_for(cast.a)  # type: ignore[operator]
    page = b.get("/events/map")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    html = page.text
    assert "<script>" not in html  # no inline script: the data island is JSON
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    references = set(_SRC.findall(html))
    assert "/static/vendor/leaflet/leaflet.js" in references
    assert "/static/vendor/leaflet/leaflet.css" in references
    assert "/static/vendor/topojson-client/topojson-client.min.js" in references
    assert "/static/events-map.js" in references
    assert 'data-outlines="/static/geo/countries-110m.json"' in html
    statics = [r for r in references if r.startswith("/static/")] + [
        "/static/geo/countries-110m.json",
        "/static/vendor/leaflet/images/marker-icon.png",
        "/static/vendor/leaflet/images/marker-shadow.png",
        "/static/vendor/leaflet/LICENSE",
        "/static/vendor/topojson-client/LICENSE",
        "/static/geo/LICENSE",
    ]
    for path in statics:
        served = b.get(path)
        assert served.status_code == 200, path
        assert served.content == (STATIC / path.removeprefix("/static/")).read_bytes()
    outlines = b.get("/static/geo/countries-110m.json").json()
    assert outlines["type"] == "Topology"
    assert len(outlines["objects"]["countries"]["geometries"]) > 150
    own = (STATIC / "events-map.js").read_text("utf-8")
    assert "http" not in own
    assert "tileLayer" not in own
    for name in ("leaflet.css", "leaflet.js"):
        assert (STATIC / "vendor" / "leaflet" / name).stat().st_size > 10_000
    css = (STATIC / "vendor" / "leaflet" / "leaflet.css").read_text("utf-8")
    for image in re.findall(r"url\((images/[^)]+)\)", css):
        assert (STATIC / "vendor" / "leaflet" / image).is_file()


def test_pages_need_sign_in(web: WebServer) -> None:
    b = Browser(web.url)
    try:
        for path in (
            "/events",
            "/events/calendar",
            "/events/map",
            "/events/spread",
            "/events/export.ics",
        ):
            response = b.get(path)
            assert response.status_code == 303
            assert "/login" in response.headers["location"]
    finally:
        b.close()


@pytest.mark.parametrize(
    ("language", "heading", "month"),
    [("ru", "Мероприятия сотрудничества", "март 2026"), ("zh", "合作活动", "2026年3月")],
)
def test_the_views_in_russian_and_chinese(
    world: World, cast: Cast, web: WebServer, language: str, heading: str, month: str
) -> None:
    add(world, cast.a, "Talks", datetime(2026, 3, 2, tzinfo=UTC), country="BG")
    b = Browser(web.url, **{"Accept-Language": language})
    try:
        assert b.sign_in(cast.a.user.email).status_code in (200, 303)
        for path in ("/events", "/events/map", "/events/spread", "/events/new"):
            page = b.get(path)
            assert page.status_code == 200, path
            assert heading in page.text or path == "/events/new"
        cal = b.get("/events/calendar", params={"month": "2026-03"})
        assert month in cal.text
        bad = b.post("/events", {"name": "", "event_type": "meeting", "start_day": "2026-03-02"})
        assert bad.status_code == 422
        assert "Give the event a name." not in bad.text  # said in the reader's language
    finally:
        b.close()
