"""A live server with the web interface, per database, and a browser when one is present."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from accord.app import create_app
from accord.db import Database
from accord.organizations.service import ensure_local_node
from accord.settings import Settings
from accord.web.throttle import SignInThrottle
from tests.server import serve_in_thread
from tests.web.browser_support import Devices, devices

SECRET = "test-secret-key-for-the-web-interface-0123456789"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


@dataclass
class WebServer:
    url: str
    app: FastAPI
    db: Database


@pytest.fixture(scope="session")
def web_server(_database: Database) -> Iterator[WebServer]:
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    settings = Settings(database_url="unused://", extra={"secret_key": SECRET})
    app = create_app(settings, _database)
    with serve_in_thread(app) as url:
        yield WebServer(url, app, _database)


@pytest.fixture
def web(db: Database, web_server: WebServer) -> WebServer:
    """The live server on a database emptied for this test, with a fresh back-off."""
    web_server.app.state.web.throttle = SignInThrottle()
    return web_server


def chromium_path() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright; skipped only where it is absent and
    ACCORD_REQUIRE_BROWSER is not 1 (CI sets it, so there these tests cannot skip)."""
    path = chromium_path()
    if path is None:
        if os.environ.get("ACCORD_REQUIRE_BROWSER") == "1":
            pytest.fail("ACCORD_REQUIRE_BROWSER=1 but no chromium at /usr/bin/chromium")
        pytest.skip("no chromium: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def device_url(web: WebServer) -> str:
    """Where `device` pages go; a module with its own server overrides this fixture."""
    return web.url


@pytest.fixture
def device(browser: object, device_url: str) -> Iterator[Devices]:
    """device(locale="en-GB", width=1280, height=900) -> a page in a fresh browser
    context, with its own cookies; all closed after the test."""
    with devices(browser, device_url) as make:  # type: ignore[arg-type]
        yield make


@pytest.fixture
def shots(request: pytest.FixtureRequest, database_url: str) -> Path:
    """Where this test writes its screenshots (test-artifacts/web/<database>/)."""
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    folder = ARTIFACTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    return folder
