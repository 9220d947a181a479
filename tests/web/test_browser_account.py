"""In a real browser: the language a user chooses follows them to another device, and a
node admin adds a TAXII collection. Screenshots go under test-artifacts/web/<database>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from accord.identity.models import Role
from accord.taxii.service import all_collections
from tests.factories import World
from tests.web.browser_support import shoot, sign_in
from tests.web.conftest import WebServer


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
    shoot(desk, shots, "account-language-zh")

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
    shoot(page, shots, "admin-collections")
    with web.db.read() as session:
        assert [(c.title, c.types, c.labels) for c in all_collections(session)] == [
            ("Drone sightings", ["indicator", "report"], ["uav"])
        ]
