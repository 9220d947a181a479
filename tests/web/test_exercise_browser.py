"""In a real browser, using only the pages: a member plans an exercise with a partner
contingent and an observer, the partner shares a lesson learned, the exercise is closed,
the lesson appears in the partner's exchange, and the observer reads the exercise with no
way to write (a forced POST is refused too). Screenshots under test-artifacts/web/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from accord.db import Database
from accord.intel.models import StixObject
from accord.organizations.models import OrgKind
from tests.factories import Account, World
from tests.web.browser_support import shoot, sign_in
from tests.web.conftest import WebServer

EXERCISE = "Steppe Shield 2026"
LESSON = "Jam the control link first"


@dataclass
class People:
    planner: Account
    partner: Account
    observer: Account


@pytest.fixture
def people(world: World) -> People:
    return People(
        planner=world.account(world.org("Defence Staff of Aldoria")),
        partner=world.account(world.org("Regional Security Forum", kind=OrgKind.PARTNER)),
        observer=world.account(world.org("Republic of Corvana", kind=OrgKind.THIRD_COUNTRY)),
    )


def _objects(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(StixObject)) or 0


def test_an_exercise_from_plan_to_lessons_in_the_browser(
    device: Any, people: People, web: WebServer, shots: Path
) -> None:
    planner = device()
    sign_in(planner, people.planner)
    planner.get_by_role("link", name="Exercises").click()
    planner.get_by_role("link", name="Plan an exercise").click()
    planner.get_by_label("Name of the exercise").fill(EXERCISE)
    planner.get_by_label("First day", exact=True).fill("2026-09-01")
    planner.get_by_label("Last day (optional)").fill("2026-08-20")  # out of order
    planner.get_by_label("Countering unmanned aerial vehicles").check()
    planner.get_by_label("Other objectives (one a line)").fill("Joint medical evacuation")
    planner.get_by_label("Organization sending contingent 1").select_option(
        label="Regional Security Forum"
    )
    planner.get_by_label("Forces of contingent 1").fill("A counter-UAV unit")
    planner.get_by_label("People in contingent 1").fill("40")
    planner.get_by_label("Observer: Republic of Corvana").check()
    planner.get_by_label("Name of phase 1").fill("Field phase")
    planner.get_by_label("First day of phase 1").fill("2026-09-02")
    planner.get_by_label("Last day of phase 1").fill("2026-09-05")
    planner.get_by_label("Place of phase 1").fill("Mount Arvel range")
    planner.get_by_role("button", name="Plan the exercise").click()
    expect(planner.get_by_role("alert")).to_have_text(
        "The exercise's last day comes before its first."
    )
    assert _objects(web.db) == 0
    # The form keeps what was typed: only the wrong date needs fixing.
    expect(planner.get_by_label("Name of the exercise")).to_have_value(EXERCISE)
    expect(planner.get_by_label("Observer: Republic of Corvana")).to_be_checked()
    shoot(planner, shots, "exercise-1-dates-out-of-order")
    planner.get_by_label("Last day (optional)").fill("2026-09-10")
    planner.get_by_role("button", name="Plan the exercise").click()
    expect(planner.get_by_role("heading", name=EXERCISE)).to_be_visible()
    expect(planner.get_by_role("status")).to_have_text("The exercise has been planned.")
    contingents = planner.locator("section", has=planner.get_by_role("heading", name="Contingents"))
    expect(contingents).to_contain_text("Regional Security Forum: A counter-UAV unit (40 people)")
    observers = planner.locator("section", has=planner.get_by_role("heading", name="Observers"))
    expect(observers).to_contain_text("Republic of Corvana")
    expect(planner.get_by_role("cell", name="Mount Arvel range")).to_be_visible()
    exercise_path = planner.url.removeprefix(web.url)
    assert exercise_path.startswith("/exercises/x-accord-exercise--")
    shoot(planner, shots, "exercise-2-planned")

    partner = device()
    sign_in(partner, people.partner)
    partner.get_by_role("link", name="Exercises").click()
    partner.get_by_role("link", name=EXERCISE).click()
    partner.get_by_label("Title of the lesson").fill(LESSON)
    partner.get_by_label("What was learned").fill("It stopped three drones of four.")
    partner.get_by_role("button", name="Share the lesson").click()
    expect(partner.get_by_role("status")).to_have_text("The lesson learned has been shared.")
    expect(partner.get_by_role("link", name=LESSON)).to_be_visible()
    shoot(partner, shots, "exercise-3-lesson")

    planner.reload()
    expect(planner.get_by_role("link", name=LESSON)).to_be_visible()
    planner.get_by_role("button", name="Close the exercise").click()
    expect(planner.get_by_role("status")).to_have_text("The exercise has been closed.")
    expect(planner.get_by_role("button", name="Close the exercise")).to_have_count(0)
    shoot(planner, shots, "exercise-4-closed")

    # The lesson is an ordinary shared object: it is in the partner's exchange.
    partner.get_by_role("link", name="Reports").click()
    partner.goto("/reports?type=course-of-action")
    expect(partner.get_by_role("link", name=LESSON)).to_be_visible()
    partner.get_by_role("link", name=LESSON).click()
    expect(partner.get_by_role("heading", name=LESSON)).to_be_visible()
    shoot(partner, shots, "exercise-5-in-the-exchange")

    observer = device()
    sign_in(observer, people.observer)
    observer.get_by_role("link", name="Exercises").click()
    observer.get_by_role("link", name=EXERCISE).click()
    expect(observer.get_by_role("heading", name=EXERCISE)).to_be_visible()
    expect(observer.get_by_role("link", name=LESSON)).to_be_visible()
    expect(observer.get_by_text("Your organization observes this exercise")).to_be_visible()
    expect(observer.get_by_role("button", name="Share the lesson")).to_have_count(0)
    expect(observer.get_by_label("Title of the lesson")).to_have_count(0)
    expect(observer.get_by_role("button", name="Close the exercise")).to_have_count(0)
    shoot(observer, shots, "exercise-6-observer")

    before = _objects(web.db)
    token = observer.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    forced = observer.request.post(
        f"{exercise_path}/lessons",
        form={"csrf_token": token, "title": "Forced lesson", "text": "Should not land."},
    )
    assert forced.ok  # the refusal is shown on the exercise's page
    assert "observers of an exercise read what is shared with them" in forced.text()
    assert "Forced lesson" not in forced.text()
    forced_phase = observer.request.post(
        f"{exercise_path}/phases",
        form={"csrf_token": token, "name": "Extra", "start": "2026-09-03"},
    )
    assert "they never write" in forced_phase.text()
    assert _objects(web.db) == before
