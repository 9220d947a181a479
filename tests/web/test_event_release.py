"""The public-coverage card on an event's page over HTTP: the owner organization's analyst
releases and withdraws a TLP:CLEAR + open event there; the card says why an AMBER, a
node-only or a draft event cannot be released and offers no button; forged, foreign and
unseen releases are refused without releasing anything; the news page shows the event's
dates, place and country (a user-assigned code such as QM as itself)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import httpx
import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from accord.cooperation import coverage, events
from accord.cooperation.coverage_models import PublicRelease
from accord.cooperation.events import Event, EventFields, EventSharing
from accord.identity.models import Role
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator, report
from tests.web.conftest import WebServer
from tests.web.support import Browser

RELEASE = "Release for public coverage"
WITHDRAW = "Withdraw from public coverage"


class Cast:
    def __init__(self, world: World) -> None:
        self.a_org: Organization = world.org("General Staff of Aldoria")
        self.b_org: Organization = world.org("General Staff of Belvania")
        self.a: Account = world.account(self.a_org)
        self.b: Account = world.account(self.b_org)
        self.a_observer: Account = world.account(self.a_org, Role.OBSERVER)


@pytest.fixture
def cast(world: World) -> Cast:
    return Cast(world)


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


def add(
    world: World,
    who: Account,
    name: str,
    tlp: Tlp = Tlp.CLEAR,
    distribution: Distribution = Distribution.OPEN,
    *,
    published: bool = True,
    country: str | None = "AT",
    place: str | None = "Velden",
) -> Event:
    fields = EventFields(
        name=name,
        event_type="conference",
        start_time=datetime(2026, 5, 12, 9, tzinfo=UTC),
        end_time=datetime(2026, 5, 14, 17, tzinfo=UTC),
        country=country,
        place=place,
    )
    with world.db.write() as session:
        return events.create_event(
            session, who.principal, fields, EventSharing(distribution, None, tlp), published
        )


def released(world: World) -> int:
    with world.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(PublicRelease)) or 0)


def public_titles(world: World) -> list[str]:
    with world.db.read() as session:
        return [item.title for item in coverage.public_page(session).items]


def test_the_owner_releases_and_withdraws_on_the_event_page(
    world: World, cast: Cast, browser_for: object
) -> None:
    event = add(world, cast.a, "Joint staff conference")
    a = browser_for(cast.a)  # type: ignore[operator]
    page = a.get(f"/events/{event.id}")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Public coverage" in text
    assert "once released" in text
    assert f'action="/events/{event.id}/release"' in page.text
    assert RELEASE in text
    assert WITHDRAW not in text

    done = a.post(f"/events/{event.id}/release", follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/events/{event.id}"
    assert public_titles(world) == ["Joint staff conference"]
    after = unescape(a.get(f"/events/{event.id}").text)
    assert "Released: it now appears" in after
    assert WITHDRAW in after
    assert RELEASE not in after

    again = a.post(f"/events/{event.id}/release")
    assert again.status_code == 422
    assert "released already" in unescape(again.text)
    assert "Joint staff conference" in again.text  # the event page, re-rendered
    assert released(world) == 1

    gone = a.post(f"/events/{event.id}/withdraw", follow_redirects=False)
    assert gone.status_code == 303
    assert gone.headers["location"] == f"/events/{event.id}"
    assert public_titles(world) == []
    assert "Withdrawn from public coverage" in unescape(a.get(f"/events/{event.id}").text)
    twice = a.post(f"/events/{event.id}/withdraw")
    assert twice.status_code == 422
    assert "is not released" in unescape(twice.text)


@pytest.mark.parametrize(
    ("tlp", "distribution", "published", "reason"),
    [
        (Tlp.AMBER, Distribution.OPEN, True, "TLP:AMBER with open distribution"),
        (Tlp.CLEAR, Distribution.NODE, True, "TLP:CLEAR with node distribution"),
        (Tlp.CLEAR, Distribution.OPEN, False, "publish it first"),
    ],
)
def test_what_cannot_be_released_says_why_and_offers_no_button(
    world: World,
    cast: Cast,
    browser_for: object,
    tlp: Tlp,
    distribution: Distribution,
    published: bool,
    reason: str,
) -> None:
    event = add(world, cast.a, "Staff visit", tlp, distribution, published=published)
    a = browser_for(cast.a)  # type: ignore[operator]
    text = unescape(a.get(f"/events/{event.id}").text)
    assert "It cannot be released for public coverage." in text
    assert reason in text
    assert RELEASE not in text
    forged = a.post(f"/events/{event.id}/release")
    assert forged.status_code == 422
    assert "Not released:" in unescape(forged.text)
    assert released(world) == 0
    assert public_titles(world) == []


def test_others_and_observers_cannot_release(world: World, cast: Cast, browser_for: object) -> None:
    event = add(world, cast.a, "Joint staff conference")
    mine_only = add(world, cast.a, "Planning cell", Tlp.CLEAR, Distribution.ORG)
    ind = indicator(tlp=Tlp.CLEAR)
    rep = report([ind["id"]], tlp=Tlp.CLEAR, name="A report, not an event")
    assert world.ingest(cast.a, ind, rep, distribution=Distribution.OPEN).ok

    # Another organization sees the event but no card, and its forged release is refused.
    b = browser_for(cast.b)  # type: ignore[operator]
    seen = b.get(f"/events/{event.id}")
    assert seen.status_code == 200
    assert "Public coverage" not in seen.text
    refused = b.post(f"/events/{event.id}/release")
    assert refused.status_code == 422
    assert "only an analyst or admin of the owner organization" in unescape(refused.text)
    # What it cannot see is not found, by either route, and named nowhere.
    for path in (f"/events/{mine_only.id}/release", f"/events/{mine_only.id}/withdraw"):
        hidden = b.post(path)
        assert hidden.status_code == 404
        assert "Planning cell" not in hidden.text

    # The owner's observer sees the card but may not release.
    observer = browser_for(cast.a_observer)  # type: ignore[operator]
    text = unescape(observer.get(f"/events/{event.id}").text)
    assert "Only an analyst or administrator of your organization may release it" in text
    assert RELEASE not in text
    assert observer.post(f"/events/{event.id}/release").status_code == 422

    # A report is released on its own page, not through the events' route.
    a = browser_for(cast.a)  # type: ignore[operator]
    a.get(f"/events/{event.id}")
    assert a.post(f"/events/{rep['id']}/release").status_code == 404
    assert released(world) == 0


def test_the_news_page_shows_the_events_facts(
    world: World, cast: Cast, browser_for: object, web: WebServer
) -> None:
    real = add(world, cast.a, "Joint staff conference")
    scenario = add(world, cast.a, "Scenario talks", country="QM", place="Karsk")
    a = browser_for(cast.a)  # type: ignore[operator]
    for event in (real, scenario):
        a.get(f"/events/{event.id}")
        assert a.post(f"/events/{event.id}/release").status_code == 303
    news = httpx.get(f"{web.url}/news", headers={"Accept-Language": "en-GB"}, timeout=60)
    assert news.status_code == 200
    text = unescape(news.text)
    assert "Joint staff conference" in text
    assert "Velden, Austria" in text
    assert "Scenario talks" in text
    assert "Karsk, QM" in text
    assert "Conference" in text
    dates = f"{format_date(real.start_time, 'long', locale='en')} \u2013 "
    assert dates + format_date(real.end_time or real.start_time, "long", locale="en") in text
