"""In a real browser, using only the pages: member A proposes an agenda issue, member B
supports it, and the chair accepts it, plans a session, schedules the issue, marks it
discussed and decides it. Screenshots go under test-artifacts/web/<database>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser_support import shoot, sign_in
from tests.web.conftest import WebServer
from tests.web.test_workgroup_pages import (  # noqa: F401  (fixtures)
    Cast,
    cast,
    wg_web,
    workgroup_server,
)


@pytest.fixture
def device_url(wg_web: WebServer) -> str:  # noqa: F811
    """The pages go to the server with the working group set up."""
    return wg_web.url


def test_an_agenda_issue_from_proposal_to_decision_in_the_browser(
    device: Any,
    cast: Cast,  # noqa: F811
    shots: Path,
) -> None:
    issue = "Harmonize drone incident reports"

    a = device()
    sign_in(a, cast.a)
    a.get_by_role("link", name="Working group").click()
    a.get_by_label("Title of the issue").fill(issue)
    a.get_by_label("Why the working group should take it up").fill("One form for every staff.")
    a.get_by_role("button", name="Propose").click()
    expect(a.get_by_role("heading", name=issue)).to_be_visible()
    expect(a.get_by_role("status")).to_have_text("The issue has been proposed.")
    shoot(a, shots, "workgroup-1-proposed")

    b = device()
    sign_in(b, cast.b)
    b.goto("/workgroup")
    shoot(b, shots, "workgroup-2-agenda-member")
    b.get_by_role("link", name=issue).click()
    b.get_by_label("Your organization's view").select_option("strongly-agree")
    b.get_by_label("Explanation (optional)").fill("Our staff needs it this year.")
    b.get_by_role("button", name="Record the view").click()
    expect(b.get_by_text("General Staff of Belvania: Strongly in favour")).to_be_visible()
    shoot(b, shots, "workgroup-3-supported")

    chair = device()
    sign_in(chair, cast.chair)
    chair.goto("/workgroup")
    chair.get_by_role("button", name="Accept").click()
    expect(chair.get_by_role("status")).to_have_text("The issue has been updated.")
    shoot(chair, shots, "workgroup-4-accepted")

    chair.get_by_role("link", name="Sessions").first.click()
    chair.get_by_label("Name of the session").fill("Spring session")
    chair.get_by_label("First day").fill("2026-04-14")
    chair.get_by_label("Last day (optional)").fill("2026-04-15")
    chair.get_by_label("Place (optional)").fill("Lake Verin conference hall")
    chair.get_by_label("Defence Staff of Aldoria").check()
    chair.get_by_label("General Staff of Belvania").check()
    shoot(chair, shots, "workgroup-5-plan-session")
    chair.get_by_role("button", name="Plan the session").click()
    expect(chair.get_by_role("heading", name="Spring session")).to_be_visible()

    chair.goto("/workgroup")
    chair.get_by_role("link", name=issue).click()
    chair.get_by_role("button", name="Schedule").click()
    expect(chair.get_by_text("Scheduled").first).to_be_visible()
    chair.get_by_role("link", name="Spring session").click()
    expect(chair.get_by_role("link", name=issue)).to_be_visible()  # on the agenda
    shoot(chair, shots, "workgroup-6-session-agenda")

    chair.get_by_role("button", name="Mark discussed").click()
    chair.get_by_label("Minutes of the session").fill("Both staffs agreed on one form.")
    chair.get_by_role("button", name="Save the minutes").click()
    chair.get_by_label("The decision").fill("Adopt the common drone incident form.")
    chair.get_by_label(issue).check()
    chair.get_by_role("button", name="Record the decision").click()
    expect(chair.get_by_role("status")).to_have_text("The decision has been recorded.")
    expect(chair.get_by_text("Adopt the common drone incident form.")).to_be_visible()
    shoot(chair, shots, "workgroup-7-decided")

    a.goto("/workgroup")
    decided = a.locator("section", has=a.get_by_role("heading", name="Decided"))
    expect(decided.get_by_role("link", name=issue)).to_be_visible()
    shoot(a, shots, "workgroup-8-agenda-decided")
