"""In a real browser, using only the pages: an analyst records a TLP:CLEAR + open
cooperation event through the events form and releases it for public coverage on the
event's page; a visitor who is not signed in finds it, with its dates, place and country,
on the news page and in the Atom feed, subscribes to the digest and confirms from the
e-mail (caught by a local aiosmtpd server); the digest then carries it. An AMBER event,
a node-only event and a released event whose newer version is AMBER never appear on the
page, in the feed or in the digest. Screenshots go under test-artifacts/web/<database>/."""

# ruff: noqa: F811  (pytest fixtures imported from coverage_fixtures are parameters here)

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from accord.cooperation import coverage, events
from accord.cooperation.digest import Links, Mailer, send_digests
from accord.cooperation.events import EventFields, EventSharing
from accord.db import Database
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.cooperation.coverage_fixtures import (  # noqa: F401  (fixtures)
    Inbox,
    coverage_server,
    inbox,
    links,
    links_in,
    mailer,
    site,
    smtp_server,
)
from tests.factories import Account, World
from tests.web.browser_support import shoot, sign_in

RELEASED = "Joint staff conference in Velden"
FIRST_DAY, LAST_DAY = datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 3, 17, tzinfo=UTC)
HIDDEN = {
    "amber": "Amber exercise plan in Karsk",
    "node": "Node-only staff visit to Harrow Gate",
    "narrowed": "Conference later marked amber",
}


@pytest.fixture
def device_url(site: str) -> str:
    """The pages go to the server that mails through the test SMTP server."""
    return site


def _fields(name: str) -> EventFields:
    return EventFields(
        name=name,
        event_type="exercise",
        start_time=FIRST_DAY,
        description=f"About {name}.",
        country="QM",
        place="Karsk",
    )


def _record(db: Database, who: Account, name: str, tlp: Tlp, distribution: Distribution) -> str:
    with db.write() as session:
        made = events.create_event(
            session, who.principal, _fields(name), EventSharing(distribution, None, tlp)
        )
    return made.id


def _hidden_items(db: Database, analyst: Account) -> dict[str, str]:
    """What must never reach the public: an AMBER + open event, a CLEAR + node one, and a
    released CLEAR + open event whose newer version is AMBER."""
    amber = _record(db, analyst, HIDDEN["amber"], Tlp.AMBER, Distribution.OPEN)
    node = _record(db, analyst, HIDDEN["node"], Tlp.CLEAR, Distribution.NODE)
    narrowed = _record(db, analyst, HIDDEN["narrowed"], Tlp.CLEAR, Distribution.OPEN)
    with db.write() as session:
        coverage.release(session, analyst.principal, narrowed)
    with db.write() as session:
        events.update_event(
            session,
            analyst.principal,
            narrowed,
            _fields(HIDDEN["narrowed"]),
            EventSharing(Distribution.OPEN, None, Tlp.AMBER),
        )
    return {"amber": amber, "node": node, "narrowed": narrowed}


def _assert_nothing_hidden(text: str) -> None:
    for title in HIDDEN.values():
        assert title not in text


def test_release_in_the_browser_then_news_feed_and_digest(
    device: Any,
    world: World,
    db: Database,
    site: str,
    inbox: Inbox,
    mailer: Mailer,
    links: Links,
    shots: Path,
) -> None:
    org = world.org("Aldorian General Staff")
    analyst = world.account(org)
    hidden = _hidden_items(db, analyst)

    # The analyst records a TLP:CLEAR + open event through the form and releases it.
    a = device()
    sign_in(a, analyst)
    a.get_by_role("link", name="Events").click()
    a.get_by_role("link", name="Record an event").click()
    a.get_by_label("Name of the event").fill(RELEASED)
    a.get_by_label("Kind of event").select_option("conference")
    a.get_by_label("First day").fill(FIRST_DAY.date().isoformat())
    a.get_by_label("Last day (optional)").fill(LAST_DAY.date().isoformat())
    a.get_by_label("Country", exact=True).select_option("AT")
    a.get_by_label("Place (optional)").fill("Velden am Wörthersee")
    a.get_by_label("Description (optional)").fill(
        "Staffs of the coalition met to plan the exercise year."
    )
    a.locator("input[name=tlp][value=clear]").check()
    a.locator("input[name=distribution][value=open]").check()
    a.get_by_role("button", name="Record the event").click()
    expect(a.get_by_role("heading", name=RELEASED)).to_be_visible()
    expect(a.get_by_role("status")).to_have_text("The event has been recorded.")
    event_url = a.url
    assert "/events/x-accord-cooperation-event--" in event_url
    coverage_card = a.locator("section", has=a.get_by_role("heading", name="Public coverage"))
    expect(coverage_card).to_contain_text("once released")
    a.get_by_role("button", name="Release for public coverage").click()
    expect(a.get_by_role("status")).to_contain_text("Released: it now appears")
    expect(a.get_by_role("button", name="Withdraw from public coverage")).to_be_visible()
    assert a.url == event_url  # back on the event's page
    shoot(a, shots, "coverage-1-released")

    # Events that may not be released say why, and offer no button.
    a.goto(f"/events/{hidden['amber']}")
    expect(coverage_card).to_contain_text("cannot be released")
    expect(coverage_card).to_contain_text("TLP:AMBER")
    expect(a.get_by_role("button", name="Release for public coverage")).to_have_count(0)
    a.goto(f"/events/{hidden['node']}")
    expect(coverage_card).to_contain_text("node distribution")
    expect(a.get_by_role("button", name="Release for public coverage")).to_have_count(0)
    # A forged release of the AMBER event (the page has no button): refused, page re-rendered.
    token = a.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    forged = a.request.post(f"/events/{hidden['amber']}/release", form={"csrf_token": token})
    assert forged.status == 422
    assert "Not released: only TLP:CLEAR content with open distribution" in forged.text()
    assert HIDDEN["amber"] in forged.text()  # the event's own page
    unsigned = a.request.post(f"/events/{hidden['amber']}/release", form={"csrf_token": "x"})
    assert unsigned.status in (400, 403)
    # Released, then narrowed: still released, but it says it is not shown now.
    a.goto(f"/events/{hidden['narrowed']}")
    expect(coverage_card).to_contain_text("does not appear on the public news page now")
    shoot(a, shots, "coverage-2-not-releasable")

    # A visitor, not signed in, reaches the news from the navigation.
    v = device()
    v.goto("/login")
    v.get_by_role("link", name="News").click()
    expect(v.get_by_role("heading", name="News", exact=True)).to_be_visible()
    expect(v.get_by_role("link", name=RELEASED)).to_be_visible()
    # The event's facts: its kind, its days, its place and country.
    news_item = v.locator("main")
    expect(news_item).to_contain_text("Conference")
    days = [format_date(d, "long", locale="en") for d in (FIRST_DAY, LAST_DAY)]
    expect(news_item).to_contain_text(" \u2013 ".join(days))
    expect(news_item).to_contain_text("Velden am Wörthersee, Austria")
    _assert_nothing_hidden(v.content())
    expect(v.get_by_role("link", name="Sign in")).to_be_visible()
    shoot(v, shots, "coverage-3-news")
    feed = httpx.get(f"{site}/news/feed.atom", timeout=60)
    assert feed.status_code == 200
    assert RELEASED in feed.text
    _assert_nothing_hidden(feed.text)

    # The visitor subscribes and confirms from the e-mail.
    v.get_by_label("E-mail address").fill("visitor@example.org")
    v.get_by_label("Weekly").check()
    v.get_by_role("button", name="Subscribe").click()
    expect(v.locator("main")).to_contain_text("Check your inbox")
    (confirmation,) = inbox.take()
    assert confirmation["To"] == "visitor@example.org"
    (confirm_link,) = [u for u in links_in(confirmation) if "/news/confirm" in u]
    v.goto(confirm_link)
    v.get_by_role("button", name="Confirm").click()
    expect(v.get_by_role("heading", name="Subscription confirmed")).to_be_visible()
    shoot(v, shots, "coverage-4-confirmed")

    # Released after the confirmation: the digest carries it; nothing hidden comes along.
    with db.read() as session:
        rows = coverage.public_page(session).items
    assert [item.title for item in rows] == [RELEASED]
    released_id = rows[0].stix_id
    assert event_url.endswith(f"/events/{released_id}")
    a.goto(f"/events/{released_id}")
    a.get_by_role("button", name="Withdraw from public coverage").click()
    expect(a.get_by_role("status")).to_contain_text("Withdrawn from public coverage")
    v.goto("/news")
    expect(v.get_by_role("link", name=RELEASED)).to_have_count(0)
    a.goto(f"/events/{released_id}")
    a.get_by_role("button", name="Release for public coverage").click()
    expect(a.get_by_role("status")).to_contain_text("Released")
    run = send_digests(db, mailer, links)
    assert run.sent == 1
    (digest_mail,) = inbox.take()
    assert digest_mail["To"] == "visitor@example.org"
    body = digest_mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert RELEASED in text
    _assert_nothing_hidden(text)
