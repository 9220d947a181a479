"""The expert working group's pages over HTTP: an issue's whole life, the service's
refusals shown as they were given, CSRF, labelled fields, and a node without a working
group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape

import pytest
from sqlalchemy import func, select

from accord.app import create_app
from accord.db import Database
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import OrgKind
from accord.organizations.service import ensure_local_node
from accord.settings import Settings
from accord.web.throttle import SignInThrottle
from tests.factories import Account, World
from tests.server import serve_in_thread
from tests.web.conftest import SECRET, WebServer
from tests.web.support import Browser, Fields

WORKGROUP = "Expert Working Group"
_ISSUE = re.compile(r'href="/workgroup/items/(x-accord-agenda-item--[0-9a-f-]+)"')
_SESSION = re.compile(r'href="/workgroup/sessions/(x-accord-wg-session--[0-9a-f-]+)"')


@pytest.fixture(scope="session")
def workgroup_server(_database: Database) -> Iterator[WebServer]:
    """The web interface of a node whose ACCORD_WORKGROUP_ORG names WORKGROUP."""
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    settings = Settings(
        database_url="unused://", workgroup_org=WORKGROUP, extra={"secret_key": SECRET}
    )
    app = create_app(settings, _database)
    with serve_in_thread(app) as url:
        yield WebServer(url, app, _database)


@pytest.fixture
def wg_web(db: Database, workgroup_server: WebServer) -> WebServer:
    workgroup_server.app.state.web.throttle = SignInThrottle()
    return workgroup_server


@dataclass
class Cast:
    chair: Account
    a: Account
    b: Account
    a_observer: Account
    partner: Account


@pytest.fixture
def cast(world: World) -> Cast:
    org_a = world.org("Defence Staff of Aldoria")
    return Cast(
        chair=world.account(world.org(WORKGROUP)),
        a=world.account(org_a),
        b=world.account(world.org("General Staff of Belvania")),
        a_observer=world.account(org_a, Role.OBSERVER),
        partner=world.account(world.org("Regional Security Forum", kind=OrgKind.PARTNER)),
    )


@pytest.fixture
def people() -> Iterator[list[Browser]]:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.close()


def person(server: WebServer, account: Account, opened: list[Browser]) -> Browser:
    """A signed-in person reading English pages."""
    browser = Browser(server.url, **{"Accept-Language": "en"})
    opened.append(browser)
    assert browser.sign_in(account.user.email).status_code == 303
    browser.get("/workgroup")  # the signed-in session's CSRF token
    return browser


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def stored(db: Database, stix_type: str) -> int:
    with db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(StixObject).where(StixObject.type == stix_type)
        )
    return int(count or 0)


def test_an_issue_from_proposal_to_decision_through_the_pages(
    wg_web: WebServer, cast: Cast, people: list[Browser]
) -> None:
    a, b, chair = (
        person(wg_web, cast.a, people),
        person(wg_web, cast.b, people),
        person(wg_web, cast.chair, people),
    )

    page = a.get("/workgroup")
    assert page.status_code == 200
    assert "Propose an issue" in page.text
    proposed = a.post(
        "/workgroup/items", {"name": "Harmonize drone reports", "description": "One form"}
    )
    assert proposed.status_code == 303
    item_path = proposed.headers["location"]
    item_id = item_path.rsplit("/", 1)[1]
    assert "The issue has been proposed." in a.get(item_path).text

    supported = b.post(f"/workgroup/items/{item_id}/support", {"opinion": "strongly-agree"})
    assert supported.status_code == 303
    b.post(f"/workgroup/items/{item_id}/comments", {"text": "We drafted a form."})
    issue = text_of(b.get(item_path).text)
    assert "General Staff of Belvania: Strongly in favour" in issue
    assert "We drafted a form." in issue
    assert "Priority 2" in issue
    agenda = text_of(b.get("/workgroup").text)
    assert "Harmonize drone reports Defence Staff of Aldoria 1 2" in agenda
    accept = 'name="to" value="accepted"'
    assert accept not in b.get("/workgroup").text  # a member is offered no step of the chair
    assert accept in chair.get("/workgroup").text
    chair.post(f"/workgroup/items/{item_id}/moves", {"to": "accepted", "next": "/workgroup"})
    planned = chair.post(
        "/workgroup/sessions",
        {
            "name": "Spring session",
            "start": "2026-04-14",
            "end": "2026-04-15",
            "location": "Lake Verin",
            "participants": [cast.a.user.org_id, cast.b.user.org_id],
        },
    )
    assert planned.status_code == 303
    session_path = planned.headers["location"]
    session_id = session_path.rsplit("/", 1)[1]
    chair.post(f"/workgroup/items/{item_id}/moves", {"to": "scheduled", "session": session_id})
    session_page = text_of(chair.get(session_path).text)
    assert "Agenda Harmonize drone reports · Defence Staff of Aldoria · Priority 2" in session_page
    assert "Defence Staff of Aldoria, General Staff of Belvania" in session_page

    chair.post(f"/workgroup/items/{item_id}/moves", {"to": "discussed"})
    chair.post(f"{session_path}/minutes", {"minutes": "Both staffs agreed on the form."})
    decided = chair.post(
        f"{session_path}/decisions", {"statement": "Adopt the common form.", "items": [item_id]}
    )
    assert decided.status_code == 303
    final = text_of(a.get(session_path).text)
    assert "Adopt the common form. On: Harmonize drone reports" in final
    assert "Both staffs agreed on the form." in final
    history = text_of(a.get(item_path).text)
    assert "Decision Adopt the common form." in history
    assert [
        s
        for s in ("Proposed", "Accepted", "Scheduled", "Discussed", "Decided")
        if f": {s}" in history
    ] == ["Proposed", "Accepted", "Scheduled", "Discussed", "Decided"]
    assert "Add the comment" not in history  # a decided issue is closed


def test_the_services_refusal_is_shown_and_nothing_is_written(
    wg_web: WebServer, cast: Cast, people: list[Browser]
) -> None:
    a, b = person(wg_web, cast.a, people), person(wg_web, cast.b, people)
    item_id = (
        a.post("/workgroup/items", {"name": "Border drills"}).headers["location"].rsplit("/", 1)[1]
    )
    versions = stored(wg_web.db, "x-accord-agenda-item")

    refused = b.post(f"/workgroup/items/{item_id}/moves", {"to": "withdrawn"})
    assert refused.status_code == 303
    shown = text_of(b.get(refused.headers["location"]).text)
    assert "only the chair or the proposing organization may make an issue that is proposed" in (
        shown
    )
    skipped = b.post(f"/workgroup/items/{item_id}/moves", {"to": "discussed"})
    assert "an issue that is proposed cannot become discussed" in text_of(
        b.get(skipped.headers["location"]).text
    )
    assert stored(wg_web.db, "x-accord-agenda-item") == versions

    observer = person(wg_web, cast.a_observer, people)
    assert "Propose an issue" not in observer.get("/workgroup").text
    observer.post("/workgroup/items", {"name": "Sneaked in"})
    assert "observers read; they never write" in text_of(observer.get("/workgroup").text)
    partner = person(wg_web, cast.partner, people)
    partner.post(f"/workgroup/items/{item_id}/support", {"opinion": "agree"})
    assert "only member organizations take part" in text_of(partner.get("/workgroup").text)
    assert stored(wg_web.db, "x-accord-agenda-item") == versions
    assert stored(wg_web.db, "opinion") == 0

    # The proposer may withdraw its own proposal.
    a.post(f"/workgroup/items/{item_id}/moves", {"to": "withdrawn"})
    assert "Withdrawn" in text_of(a.get(f"/workgroup/items/{item_id}").text)


def test_bad_input_gets_a_clear_message(
    wg_web: WebServer, cast: Cast, people: list[Browser]
) -> None:
    a, chair = person(wg_web, cast.a, people), person(wg_web, cast.chair, people)
    empty = a.post("/workgroup/items", {"name": "  "})
    assert "Give the issue a title." in text_of(a.get(empty.headers["location"]).text)
    backwards = chair.post(
        "/workgroup/sessions", {"name": "Late", "start": "2026-05-02", "end": "2026-05-01"}
    )
    assert "The last day comes before the first." in text_of(
        chair.get(backwards.headers["location"]).text
    )
    no_date = chair.post("/workgroup/sessions", {"name": "Someday", "start": "soon"})
    assert "Give the first day of the session as a date." in text_of(
        chair.get(no_date.headers["location"]).text
    )
    stranger = chair.post(
        "/workgroup/sessions", {"name": "Open", "start": "2026-05-02", "participants": "Nobody"}
    )
    assert "unknown organization 'Nobody'" in text_of(chair.get(stranger.headers["location"]).text)
    assert stored(wg_web.db, "x-accord-wg-session") == 0
    assert stored(wg_web.db, "x-accord-agenda-item") == 0
    assert (
        a.get(
            "/workgroup/items/x-accord-agenda-item--00000000-0000-4000-8000-000000000000"
        ).status_code
        == 404
    )


def test_every_action_needs_the_csrf_token(
    wg_web: WebServer, cast: Cast, people: list[Browser]
) -> None:
    a = person(wg_web, cast.a, people)
    refused = a.post("/workgroup/items", {"name": "Forged"}, token=False)
    assert refused.status_code == 403
    assert stored(wg_web.db, "x-accord-agenda-item") == 0


def test_every_field_is_labelled(wg_web: WebServer, cast: Cast, people: list[Browser]) -> None:
    a, chair = person(wg_web, cast.a, people), person(wg_web, cast.chair, people)
    item_path = a.post("/workgroup/items", {"name": "Labels"}).headers["location"]
    chair.post(f"{item_path}/moves", {"to": "accepted"})
    session_path = chair.post(
        "/workgroup/sessions", {"name": "Autumn", "start": "2026-10-01"}
    ).headers["location"]
    for who, path in [
        (a, "/workgroup"),
        (a, item_path),
        (chair, "/workgroup"),
        (chair, item_path),
        (chair, "/workgroup/sessions"),
        (chair, session_path),
    ]:
        fields = Fields()
        fields.feed(who.get(path).text)
        assert fields.controls, path
        assert fields.unlabelled() == [], path


def test_a_node_without_a_working_group_says_so(
    web: WebServer, world: World, people: list[Browser]
) -> None:
    account = world.account(world.org("Northern Staff"))
    page = person(web, account, people).get("/workgroup")
    assert page.status_code == 404
    assert "This node has no expert working group configured." in text_of(page.text)


@pytest.mark.parametrize(
    ("language", "heading", "step"),
    [("ru", "Повестка дня рабочей группы", "Принять"), ("zh", "工作组议程", "接受")],
)
def test_the_agenda_speaks_the_readers_language(
    wg_web: WebServer, cast: Cast, people: list[Browser], language: str, heading: str, step: str
) -> None:
    person(wg_web, cast.a, people).post("/workgroup/items", {"name": "Border drills"})
    chair = Browser(wg_web.url, **{"Accept-Language": language})
    people.append(chair)
    chair.sign_in(cast.chair.user.email)
    html = chair.get("/workgroup").text
    assert heading in text_of(html)
    assert f'<button type="submit" class="small">{step}</button>' in html
