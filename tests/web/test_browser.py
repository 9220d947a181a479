"""The web interface in a real browser: Debian's chromium driven by Playwright.

Each test signs people of different organizations in, as they would, and writes a
screenshot of each main page under test-artifacts/web/<database>/.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from accord.identity.models import Role
from tests.factories import PASSWORD, World
from tests.web.browser_support import shoot, sign_in_by_label


class People:
    def __init__(self, world: World) -> None:
        self.north = world.org("Northern Staff", country="NS")
        self.east = world.org("Eastern Staff", country="ES")
        self.west = world.org("Western Staff", country="WS")
        self.group = world.group(self.north, self.east, name="Drone working group")
        self.ann = world.account(self.north)
        self.bob = world.account(self.east)
        self.cid = world.account(self.west)
        self.root = world.account(self.north, Role.ADMIN)


@pytest.fixture
def people(world: World) -> People:
    return People(world)


def write_report(
    page: Page, title: str, *, tlp: str, distribution: str, group: str | None = None
) -> None:
    page.goto("/reports/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill(
        "Two relay stations control reconnaissance drones near the border crossing."
    )
    page.get_by_label("Labels").fill("drones, border security")
    rows = page.locator("#indicator-rows .vrow")
    rows.nth(0).locator("select").select_option("ipv4-addr")
    rows.nth(0).locator("input[type=text]").fill("203.0.113.7")
    page.get_by_role("button", name="Add another indicator").click()
    expect(rows).to_have_count(2)
    rows.nth(1).locator("select").select_option("domain-name")
    rows.nth(1).locator("input[type=text]").fill("relay.example.org")
    page.locator(f"input[name=tlp][value='{tlp}']").check()
    page.locator(f"input[name=distribution][value='{distribution}']").check()
    if group is not None:
        page.get_by_label("Sharing group", exact=True).select_option(label=group)


def test_write_publish_and_share_with_a_group(device: Any, people: People, shots: Path) -> None:
    title = "Drone relay stations near the northern border"
    ann = device()
    sign_in_by_label(ann, people.ann)
    expect(ann.get_by_role("heading", name="Welcome, Northern Staff")).to_be_visible()
    write_report(ann, title, tlp="green", distribution="group", group="Drone working group")
    audience = ann.locator("#audience")
    expect(audience).to_contain_text("organizations in group Drone working group")
    expect(audience).to_contain_text("Eastern Staff")
    expect(audience).not_to_contain_text("Western Staff")
    shoot(ann, shots, "report-form")
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.get_by_role("heading", name=title)).to_be_visible()
    expect(ann.locator(".flash")).to_contain_text("Draft saved")
    expect(ann.locator("#refs-heading + .table-wrap tbody tr")).to_have_count(2)
    shoot(ann, shots, "report-draft")
    ann.get_by_role("button", name="Publish").click()
    expect(ann.locator(".flash")).to_contain_text("Published: 3 objects")
    expect(ann.locator(".tlp-banner")).to_contain_text("TLP:GREEN")
    shoot(ann, shots, "report-view")

    bob = device()
    sign_in_by_label(bob, people.bob)
    new = bob.locator("section[aria-labelledby=new-heading]")
    expect(new).to_contain_text(title)
    shoot(bob, shots, "home")
    new.get_by_role("link", name=title).click()
    expect(bob.locator(".tlp-banner")).to_contain_text("TLP:GREEN")
    expect(bob.locator("#audience")).to_contain_text("Drone working group")
    expect(bob.get_by_role("link", name="203.0.113.7")).to_be_visible()
    expect(bob.get_by_role("link", name="Edit")).to_have_count(0)
    report_url = bob.url
    bob.goto("/reports")
    expect(bob.locator("#results")).to_contain_text(title)
    shoot(bob, shots, "reports")
    bob.get_by_label("TLP").select_option("red")  # htmx reloads the results
    expect(bob.locator("#results")).not_to_contain_text(title)
    assert "tlp=red" in bob.url

    cid = device()
    sign_in_by_label(cid, people.cid)
    expect(cid.get_by_role("heading", name="Welcome, Western Staff")).to_be_visible()
    expect(cid.locator("main")).not_to_contain_text(title)
    cid.goto("/reports")
    expect(cid.locator("#results")).not_to_contain_text(title)
    response = cid.goto(report_url)
    assert response is not None
    assert response.status == 404
    expect(cid.get_by_role("heading", name="Page not found")).to_be_visible()
    shoot(cid, shots, "not-found")


def test_tlp_red_is_seen_by_no_other_organization(device: Any, people: People, shots: Path) -> None:
    title = "Eyes-only assessment of the relay operators"
    ann = device()
    sign_in_by_label(ann, people.ann)
    write_report(ann, title, tlp="red", distribution="node")
    expect(ann.locator("#audience")).to_contain_text("TLP:RED is never shared")
    expect(ann.locator("#audience")).not_to_contain_text("Eastern Staff")
    ann.get_by_role("button", name="Save and publish").click()
    expect(ann.locator(".flash")).to_contain_text("Report saved and published")
    expect(ann.locator(".tlp-banner")).to_contain_text("TLP:RED")
    shoot(ann, shots, "report-red")
    report_url = ann.url
    for account in (people.bob, people.cid):
        other = device()
        sign_in_by_label(other, account)
        expect(other.locator("main")).not_to_contain_text(title)
        response = other.goto(report_url)
        assert response is not None
        assert response.status == 404
        other.goto("/reports?tlp=red&type=")
        expect(other.locator("#results")).to_contain_text("Nothing matches")


def test_sign_in_with_two_step_verification(device: Any, people: People, shots: Path) -> None:
    page = device()
    sign_in_by_label(page, people.ann)
    page.get_by_role("link", name=people.ann.user.email).click()
    page.get_by_role("link", name="Turn on two-step verification").click()
    expect(page.locator(".qr svg")).to_be_visible()
    shoot(page, shots, "totp-enrolment")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Six-digit code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Two-step verification is on")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flash")).to_contain_text("You have signed out")
    sign_in_by_label(page, people.ann)
    expect(page.get_by_role("heading", name="Enter your verification code")).to_be_visible()
    shoot(page, shots, "sign-in-code")
    page.get_by_label("Six-digit code").fill(
        "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.locator("#code-error")).to_contain_text("not correct")
    # The enrolment used this time step's code: a code is accepted once, so the next one.
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Northern Staff")).to_be_visible()


def test_sign_in_by_keyboard_with_visible_focus(device: Any, people: People, shots: Path) -> None:
    page = device()
    page.goto("/login")
    shoot(page, shots, "sign-in")
    expect(page.get_by_label("E-mail address")).to_be_focused()  # ready to type at once
    page.keyboard.type(people.bob.user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, Eastern Staff")).to_be_visible()


def test_a_forged_form_is_refused(device: Any, people: People, world: World, shots: Path) -> None:
    page = device()
    sign_in_by_label(page, people.ann)
    page.goto("/reports/new")
    page.get_by_label("Title").fill("Forged report")
    page.evaluate("document.querySelector('main form input[name=csrf_token]').remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save draft").click()
    assert posted.value.status == 403
    expect(page.get_by_role("heading", name="The form has expired")).to_be_visible()
    shoot(page, shots, "csrf-refused")
    page.goto("/reports?type=")
    expect(page.locator("#results")).not_to_contain_text("Forged report")


def test_switch_language_to_russian_and_chinese(device: Any, people: People, shots: Path) -> None:
    page = device()
    sign_in_by_label(page, people.ann)
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Главная")).to_be_visible()
    expect(page.get_by_role("heading", name="Добро пожаловать, Northern Staff")).to_be_visible()
    shoot(page, shots, "home-ru")
    page.get_by_role("navigation").get_by_role("link", name="Подготовить отчет").click()
    expect(page.get_by_role("heading", name="Подготовить отчет")).to_be_visible()
    expect(page.locator("#audience")).to_contain_text(
        "Доступно: только организации «Northern Staff»."
    )
    shoot(page, shots, "report-form-ru")
    page.get_by_label("Язык").select_option("zh")
    page.get_by_role("button", name="Применить").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="撰写报告")).to_be_visible()
    shoot(page, shots, "report-form-zh")
    page.get_by_role("navigation").get_by_role("link", name="首页").click()
    welcome = "\u6b22\u8fce\uff0cNorthern Staff"  # "welcome, ..." with a full-width comma
    expect(page.get_by_role("heading", name=welcome)).to_be_visible()
    shoot(page, shots, "home-zh")
    page.get_by_role("button", name="退出登录").click()
    expect(
        page.get_by_role("heading", name="登录 Accord")
    ).to_be_visible()  # the choice outlives the session


def test_administration_pages(device: Any, people: People, shots: Path) -> None:
    page = device()
    sign_in_by_label(page, people.root)
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    page.get_by_label("E-mail address").fill("duty.officer@north.example")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#new-password")).to_be_visible()
    shoot(page, shots, "admin-users")
    page.get_by_role("link", name="Organizations").click()
    expect(page.locator("main table")).to_contain_text("Western Staff")
    shoot(page, shots, "admin-organizations")
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_label("Name (what the key is for)").fill("TAXII feed")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_contain_text("acc_")
    shoot(page, shots, "admin-keys")
    page.get_by_role("link", name="Sharing groups").first.click()
    page.get_by_label("Name", exact=True).fill("Border liaison")
    page.get_by_label("Eastern Staff").check()
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Border liaison")).to_be_visible()
    shoot(page, shots, "admin-group")


def test_pages_fit_a_phone(device: Any, people: People, shots: Path) -> None:
    page = device(width=390, height=844)
    sign_in_by_label(page, people.ann)
    expect(page.get_by_role("heading", name="Welcome, Northern Staff")).to_be_visible()
    for path, name in (("/", "phone-home"), ("/reports/new", "phone-report-form")):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wide, f"{path} scrolls sideways on a phone"
        shoot(page, shots, name)
