"""What every browser test shares: fresh pages, signing in, screenshots.

The `device` fixture (tests/web/conftest.py) hands out `Devices`: each call opens a page
in a new browser context, with its own cookies, on the live server at `device_url`
(a module overrides that fixture to point its pages at another server).
Playwright is imported only for the type checker, so importing this module never needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tests.factories import PASSWORD, Account

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

TIMEOUT_MS = 15_000


class Devices:
    """devices(locale, width=, height=) -> a page in a fresh browser context."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []

    def __call__(self, locale: str = "en-GB", *, width: int = 1280, height: int = 900) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": width, "height": height}, locale=locale
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@contextmanager
def devices(browser: Browser, base_url: str) -> Iterator[Devices]:
    made = Devices(browser, base_url)
    try:
        yield made
    finally:
        made.close()


def sign_in(page: Page, account: Account, password: str = PASSWORD) -> None:
    """By the fields' ids (the labels are in whatever language the browser asks for),
    then wait for the home page."""
    page.goto("/login")
    page.locator("#email").fill(account.user.email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/")


def sign_in_by_label(page: Page, account: Account, password: str = PASSWORD) -> None:
    """By the English labels and the button, as a person does; does not wait for the home
    page, since the sign-in may go on to a second step."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(account.user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def shoot(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot as folder/<name>.png, which must not be empty."""
    shot = folder / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
