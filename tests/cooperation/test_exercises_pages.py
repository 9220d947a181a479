"""Joint exercises' pages over HTTP: CSRF on every form, labelled fields, a refused plan
re-rendered with its reason, and an outsider who finds nothing."""

# ruff: noqa: F811  (fixtures imported from other test modules are parameters here)

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest

from accord.db import Database
from tests.cooperation.exercise_fixtures import Sides, sides, state  # noqa: F401  (fixtures)
from tests.factories import Account
from tests.web.conftest import WebServer, web, web_server  # noqa: F401  (fixtures)
from tests.web.support import Browser, Fields

_EXERCISE = re.compile(r"/exercises/(x-accord-exercise--[0-9a-f-]+)")


@pytest.fixture
def people() -> Iterator[list[Browser]]:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.close()


def person(server: WebServer, account: Account, people: list[Browser]) -> Browser:
    browser = Browser(server.url)
    people.append(browser)
    assert browser.sign_in(account.user.email).status_code == 303
    return browser


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _form(sides: Sides, **extra: str) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Steppe Shield",
        "start": "2026-09-01",
        "end": "2026-09-10",
        "objectives": ["countering-uav", "crisis-response"],
        "contingent-1-org": sides.partner_org.id,
        "contingent-1-personnel": "40",
        "observers": [sides.observer_org.id],
        "phase-1-name": "Field phase",
        "phase-1-start": "2026-09-02",
        "phase-1-location": "Mount Arvel range",
    }
    form.update(extra)
    return form


def _plan(planner: Browser, sides: Sides) -> str:
    planner.get("/exercises/new")
    response = planner.post("/exercises", _form(sides))
    assert response.status_code == 303, text_of(response.text)
    found = _EXERCISE.search(response.headers["location"])
    assert found is not None
    return found.group(1)


def test_every_form_needs_the_csrf_token_and_every_field_a_label(
    web: WebServer, sides: Sides, db: Database, people: list[Browser]
) -> None:
    planner = person(web, sides.planner, people)
    planner.get("/exercises/new")
    before = state(db)
    assert planner.post("/exercises", _form(sides), token=False).status_code == 403
    assert state(db) == before
    exercise = _plan(planner, sides)
    before = state(db)
    for action in ("lessons", "close", "contingents", "observers", "phases"):
        forged = planner.post(f"/exercises/{exercise}/{action}", {"title": "t"}, token=False)
        assert forged.status_code == 403, action
    assert state(db) == before
    for path in ("/exercises", "/exercises/new", f"/exercises/{exercise}"):
        fields = Fields()
        fields.feed(planner.get(path).text)
        assert fields.unlabelled() == [], path
    assert fields.controls  # the exercise's page offers its planner forms


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"end": "2026-08-20"}, "The exercise's last day comes before its first."),
        ({"phase-1-end": "2026-09-01"}, "Phase Field phase ends before it starts."),
        ({"phase-1-start": "2026-08-20"}, "phase 'Field phase' starts before the exercise"),
        ({"contingent-1-org": "Ministry of Nowhere"}, "unknown organization 'Ministry of Nowhere'"),
        ({"observers": ["Principality of Nowhere"]}, "unknown organization"),
        ({"start": "soon"}, "Give the first day of the exercise as a date."),
        ({"objectives": []}, "at least one objective"),
    ],
)
def test_a_refused_plan_is_shown_on_the_form_and_writes_nothing(
    web: WebServer,
    sides: Sides,
    db: Database,
    people: list[Browser],
    change: dict[str, object],
    words: str,
) -> None:
    planner = person(web, sides.planner, people)
    planner.get("/exercises/new")
    before = state(db)
    response = planner.post("/exercises", _form(sides, **change))  # type: ignore[arg-type]
    assert response.status_code == 422
    assert words in text_of(response.text)
    assert 'value="Steppe Shield"' in response.text  # what was typed is kept
    assert state(db) == before


def test_an_outsider_finds_nothing_and_an_observer_cannot_write(
    web: WebServer, sides: Sides, db: Database, people: list[Browser]
) -> None:
    exercise = _plan(person(web, sides.planner, people), sides)
    outsider = person(web, sides.outsider, people)
    listing = text_of(outsider.get("/exercises").text)
    assert "Steppe Shield" not in listing
    assert "(0)" in listing
    assert outsider.get(f"/exercises/{exercise}").status_code == 404
    assert "Steppe Shield" not in outsider.get("/reports?type=x-accord-exercise").text

    observer = person(web, sides.observer, people)
    page = observer.get(f"/exercises/{exercise}")
    assert page.status_code == 200
    assert "Steppe Shield" in page.text
    assert 'action="/exercises/' not in page.text  # no form to write anything
    before = state(db)
    for action, form in [
        ("lessons", {"title": "Forced", "text": "No"}),
        ("close", {}),
        ("observers", {"org": sides.outsider_org.id}),
    ]:
        refused = observer.post(f"/exercises/{exercise}/{action}", form)
        assert refused.status_code == 303
        shown = text_of(observer.get(refused.headers["location"]).text)
        assert "they never write" in shown, action
    assert state(db) == before
