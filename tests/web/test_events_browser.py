"""In a real browser, using only the pages: an analyst records an event with coordinates
through the form, and sees it on the calendar on its days, on the map as a marker over
the country outlines shipped with Accord, and in the chart; a country filter hides it.
No request leaves the node. Screenshots go under test-artifacts/web/<database>/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import World
from tests.web.browser_support import Devices, shoot, sign_in
from tests.web.conftest import WebServer


@pytest.fixture
def page(device: Devices) -> Page:
    return device()


def test_an_event_on_the_calendar_the_map_and_the_chart(
    page: Page, web: WebServer, world: World, shots: Path
) -> None:
    aldoria = world.org("General Staff of Aldoria")
    belvania = world.org("General Staff of Belvania")
    analyst = world.account(aldoria)
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    sign_in(page, analyst)
    page.get_by_role("link", name="Events").click()
    expect(page.get_by_role("heading", name="Cooperation events")).to_be_visible()
    page.get_by_role("link", name="Record an event").click()
    page.get_by_label("Name of the event").fill("Staff talks in Varna")
    page.get_by_label("Kind of event").select_option("meeting")
    page.get_by_label("First day").fill("2026-03-02")
    page.get_by_label("Starting time, UTC (optional)").fill("09:00")
    page.get_by_label("Last day (optional)").fill("2026-03-03")
    page.get_by_label("Country", exact=True).select_option("BG")
    page.get_by_label("Place (optional)").fill("Varna")
    page.get_by_label("Latitude (optional)").fill("43.2141")
    page.get_by_label("Longitude (optional)").fill("27.9147")
    page.get_by_label(belvania.name).check()
    page.get_by_role("radio", name="Every organization on this node").check()
    shoot(page, shots, "events-1-form")
    page.get_by_role("button", name="Record the event").click()
    expect(page.get_by_role("heading", name="Staff talks in Varna")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("The event has been recorded.")
    expect(page.locator("#events-map .leaflet-marker-icon")).to_have_count(1)

    # The calendar, on its two days and no other.
    page.goto("/events/calendar?month=2026-02")
    page.get_by_role("link", name="Next month").click()
    expect(page.get_by_role("heading", name="March 2026")).to_be_visible()
    for day in ("2026-03-02", "2026-03-03"):
        expect(page.locator(f'td[data-day="{day}"]').get_by_role("link")).to_have_text(
            "Staff talks in Varna"
        )
    expect(page.locator('td[data-day="2026-03-04"] a')).to_have_count(0)
    shoot(page, shots, "events-2-calendar")

    # The map: the outlines drawn as SVG paths, no tile layer, one marker.
    page.get_by_role("link", name="Map", exact=True).click()
    holder = page.locator("#events-map")
    expect(holder).to_have_attribute("data-outlines-drawn", "true")
    assert page.locator("#events-map .leaflet-overlay-pane svg path").count() > 100
    assert page.locator("#events-map .leaflet-tile").count() == 0
    marker = page.locator("#events-map .leaflet-marker-icon")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("title", "Staff talks in Varna")
    marker.click()
    expect(page.locator(".leaflet-popup-content").get_by_role("link")).to_have_text(
        "Staff talks in Varna"
    )
    shoot(page, shots, "events-3-map")

    # The chart.
    page.get_by_role("link", name="Spread across countries").click()
    bar = page.locator('svg.events-chart rect[data-country="BG"]')
    expect(bar).to_have_count(1)
    expect(bar).to_have_attribute("data-events", "1")
    expect(page.locator("svg.events-chart title#chart-title")).to_have_count(1)
    shoot(page, shots, "events-4-chart")

    # A country filter hides it everywhere.
    page.get_by_label("Country", exact=True).select_option("RO")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("svg.events-chart")).to_have_count(0)
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page.get_by_label("Country", exact=True)).to_have_value("RO")
    expect(holder).to_have_attribute("data-outlines-drawn", "true")
    expect(page.locator("#events-map .leaflet-marker-icon")).to_have_count(0)
    page.get_by_role("link", name="Calendar", exact=True).click()
    page.goto(page.url + "&month=2026-03")
    expect(page.locator('td[data-day="2026-03-02"] a')).to_have_count(0)
    page.get_by_label("Country", exact=True).select_option("BG")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator('td[data-day="2026-03-02"] a')).to_have_text("Staff talks in Varna")
    shoot(page, shots, "events-5-filtered")

    outside = [u for u in requested if not u.startswith(web.url) and not u.startswith("data:")]
    assert outside == []
    assert any(u.endswith("/static/geo/countries-110m.json") for u in requested)
    # Only the browser's own favicon request may go unanswered; nothing of the pages.
    assert [u for u in failed if not u.endswith("/favicon.ico")] == []
    # (each failed load is also a console line: those are the favicon's, checked above)
    assert [p for p in problems if not p.startswith("Failed to load resource")] == []


def test_someone_else_does_not_see_it(
    page: Page, web: WebServer, world: World, shots: Path
) -> None:
    aldoria = world.org("General Staff of Aldoria")
    corvana = world.org("Defence Staff of Corvana")
    from datetime import UTC, datetime

    from accord.cooperation import events
    from accord.cooperation.events import EventFields, EventSharing

    owner = world.account(aldoria)
    with world.db.write() as session:
        events.create_event(
            session,
            owner.principal,
            EventFields(
                "Aldoria only",
                "meeting",
                datetime(2026, 3, 2, tzinfo=UTC),
                country="BG",
                latitude=43.2,
                longitude=27.9,
            ),
            EventSharing(),
        )
    sign_in(page, world.account(corvana))
    page.goto("/events/map")
    expect(page.locator("#events-map")).to_have_attribute("data-outlines-drawn", "true")
    expect(page.locator("#events-map .leaflet-marker-icon")).to_have_count(0)
    page.goto("/events/calendar?month=2026-03")
    expect(page.get_by_text("Aldoria only")).to_have_count(0)
    page.goto("/events/spread")
    expect(page.locator("svg.events-chart")).to_have_count(0)
