"""In a real browser: the language a user chooses follows them to another device, and a
node admin adds a TAXII collection. Screenshots go under test-artifacts/web/<database>/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.identity.models import Role
from accord.taxii.service import all_collections
from tests.factories import PASSWORD, Account, World
from tests.web.conftest import WebServer


@pytest.fixture
def device(browser: Browser, web: WebServer) -> Iterator[Any]:
    """device(locale) -> a page in a fresh browser context: its own cookies and language."""
    contexts = []

    def make(locale: str = "en-GB") -> Page:
        context = browser.new_context(
            base_url=web.url, viewport={"width": 1280, "height": 900}, locale=locale
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, account: Account) -> None:
    """By the fields' ids: the labels are in whatever language the browser asks for."""
    page.goto("/login")
    page.locator("#email").fill(account.user.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/")


def test_the_chosen_language_follows_the_user_to_another_device(
    device: Any, world: World, shots: Path
) -> None:
    account = world.account(world.org("Northern Staff"))
    desk = device("en-GB")
    sign_in(desk, account)
    desk.goto("/account")
    desk.get_by_label("Language of the pages").select_option("zh")
    desk.get_by_role("button", name="Save language").click()
    expect(desk.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(desk.get_by_role("heading", name="我的账户")).to_be_visible()
    shot = shots / "account-language-zh.png"
    desk.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0

    laptop = device("ru-RU")  # a browser asking for Russian
    laptop.goto("/login")
    expect(laptop.locator("html")).to_have_attribute("lang", "ru")
    sign_in(laptop, account)
    expect(laptop.locator("html")).to_have_attribute("lang", "zh-Hans")
    laptop.goto("/account")
    expect(laptop.get_by_text("当前会话")).to_be_visible()  # "This session", in Chinese


def test_a_node_admin_adds_a_taxii_collection(
    device: Any, world: World, web: WebServer, shots: Path
) -> None:
    root = world.account(world.org("Node Staff"), Role.ADMIN)
    page = device()
    sign_in(page, root)
    page.goto("/admin/users")
    page.get_by_role("link", name="TAXII collections").click()
    page.get_by_label("Title").fill("Drone sightings")
    page.get_by_label("Object types").fill("indicator, report")
    page.get_by_label("Labels").fill("uav")
    page.get_by_role("button", name="Add collection").click()
    expect(page.get_by_role("status")).to_contain_text("Collection Drone sightings added.")
    expect(page.get_by_role("link", name="Drone sightings")).to_be_visible()
    page.screenshot(path=str(shots / "admin-collections.png"), full_page=True)
    with web.db.read() as session:
        assert [(c.title, c.types, c.labels) for c in all_collections(session)] == [
            ("Drone sightings", ["indicator", "report"], ["uav"])
        ]
