"""Sign-in, sessions and their cookies, CSRF and back-off, over plain HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import APIRouter
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.identity.models import Role
from accord.identity.service import enable_totp
from accord.intel.service import ObjectFilter, list_objects
from accord.web import throttle, views
from accord.web.routing import WebRoute
from accord.web.sessions import COOKIE
from tests.factories import PASSWORD, World
from tests.web.conftest import WebServer
from tests.web.support import Browser


@pytest.fixture
def person(web: WebServer) -> Iterator[Browser]:
    browser = Browser(web.url)
    yield browser
    browser.close()


def _session_cookie(response: httpx.Response) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE + "=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def _actions(web: WebServer, action: str) -> list[AuditEntry]:
    with web.db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _web_routes(router: Any) -> Iterator[WebRoute]:
    """Every page route (FastAPI may keep included routers as they were)."""
    for route in router.routes:
        if hasattr(route, "original_router"):
            yield from _web_routes(route.original_router)
        elif isinstance(route, APIRouter):
            yield from _web_routes(route)
        else:
            assert isinstance(route, WebRoute)
            yield route


def test_pages_need_sign_in(person: Browser) -> None:
    response = person.get("/reports?type=indicator")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Freports%3Ftype%3Dindicator"
    assert person.get("/").headers["location"] == "/login"
    assert person.get("/admin/users").status_code == 303


def test_session_cookie_is_httponly_lax_and_secure_only_over_https(web: WebServer) -> None:
    with httpx.Client(base_url=web.url) as plain:
        header = _session_cookie(plain.get("/login"))
    assert "HttpOnly" in header
    assert "SameSite=lax" in header
    assert "Path=/" in header
    assert "Secure" not in header
    # Behind a TLS-terminating proxy on loopback (which uvicorn trusts): Secure.
    with httpx.Client(base_url=web.url, headers={"X-Forwarded-Proto": "https"}) as tls:
        assert "Secure" in _session_cookie(tls.get("/login"))


def test_sign_in_and_out(person: Browser, world: World, web: WebServer) -> None:
    account = world.account(world.org("Northern Staff"))
    response = person.sign_in(account.user.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = person.get("/")
    assert home.status_code == 200
    assert "Northern Staff" in home.text
    assert person.post("/logout").headers["location"] == "/login"
    assert person.get("/").status_code == 303
    assert [e.target for e in _actions(web, "logout")] == [account.user.id]


def test_wrong_password_is_refused_and_audited(
    person: Browser, world: World, web: WebServer
) -> None:
    account = world.account(world.org())
    response = person.sign_in(account.user.email, "not the password")
    assert response.status_code == 401
    assert "not correct" in response.text
    assert person.get("/").status_code == 303
    assert [e.target for e in _actions(web, "login.failed")] == [account.user.id]


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(
    person: Browser, world: World
) -> None:
    account = world.account(world.org())
    person.get("/login")
    response = person.post(
        "/login", {"email": account.user.email, "password": PASSWORD, "next": "/groups"}
    )
    assert response.headers["location"] == "/groups"
    person.post("/logout")
    person.get("/login")
    response = person.post(
        "/login", {"email": account.user.email, "password": PASSWORD, "next": "//evil.example/"}
    )
    assert response.headers["location"] == "/"


def test_totp_sign_in_needs_the_current_code(person: Browser, world: World, web: WebServer) -> None:
    account = world.account(world.org())
    secret = pyotp.random_base32()
    with web.db.write() as session:
        enable_totp(session, account.user.id, secret, pyotp.TOTP(secret).at(time.time() - 30))
    response = person.sign_in(account.user.email)
    assert response.headers["location"] == "/login/code"
    assert person.get("/").status_code == 303  # the password alone signs nobody in
    person.get("/login/code")
    wrong = str((int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000).zfill(6)
    assert person.post("/login/code", {"code": wrong}).status_code == 401
    response = person.post("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 303
    assert person.get("/").status_code == 200
    why = [e.detail for e in _actions(web, "login.failed")]
    assert why == ['{"why":"totp"}']


def test_forms_without_the_csrf_token_are_refused(
    person: Browser, world: World, web: WebServer
) -> None:
    account = world.account(world.org())
    person.sign_in(account.user.email)
    person.get("/reports/new")
    draft = {"name": "Forged", "tlp": "green", "distribution": "org", "then": "draft"}
    missing = person.post("/reports/new", draft, token=False)
    assert missing.status_code == 403
    assert "The form has expired" in missing.text
    wrong = person.post("/reports/new", {**draft, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    other_site = person.post("/reports/new", draft, headers={"Origin": "http://evil.example"})
    assert other_site.status_code == 403
    with web.db.read() as session:
        assert list_objects(session, account.principal, ObjectFilter(), 10).rows == []
    assert person.post("/reports/new", draft).status_code == 303  # the same form, with its token


def test_every_form_handler_checks_the_csrf_token(
    person: Browser, world: World, web: WebServer
) -> None:
    account = world.account(world.org())
    person.sign_in(account.user.email)
    posts = [route.path for route in _web_routes(views.router) if "POST" in route.methods]
    assert len(posts) >= 15
    for path in posts:
        url = path.replace("{", "").replace("}", "")  # any value: the check comes first
        response = person.post(url, {"name": "x"}, token=False)
        assert response.status_code == 403, path
    assert person.get("/").status_code == 200  # still signed in: nothing was changed


def test_back_off_after_repeated_failures(person: Browser, world: World, web: WebServer) -> None:
    account = world.account(world.org())
    now = [1000.0]
    web.app.state.web.throttle.clock = lambda: now[0]
    for _ in range(throttle.FREE):
        assert person.sign_in(account.user.email, "wrong password").status_code == 401
    locked = person.sign_in(account.user.email)  # the right password, too soon
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert person.get("/").status_code == 303
    assert person.sign_in(account.user.email).status_code == 429
    assert len(_actions(web, "login.throttled")) == 1  # audited once per lock
    assert len(_actions(web, "login.failed")) == throttle.FREE  # refusals check no password
    now[0] += throttle.BASE_SECONDS + 1
    assert person.sign_in(account.user.email).status_code == 303
    assert person.get("/").status_code == 200


def test_back_off_is_per_address_and_address_independent_after_many(
    world: World, web: WebServer
) -> None:
    account = world.account(world.org())
    guard = web.app.state.web.throttle
    for _ in range(throttle.FREE):
        guard.failed(account.user.email, "192.0.2.1")
    assert guard.retry_after(account.user.email, "192.0.2.1")[0] > 0
    assert guard.retry_after(account.user.email, "127.0.0.1")[0] == 0
    for n in range(throttle.FREE_PER_EMAIL):
        guard.failed(account.user.email, f"192.0.2.{10 + n}")
    assert guard.retry_after(account.user.email, "127.0.0.1")[0] > 0


def test_password_change_ends_other_sessions(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    desk, laptop = Browser(web.url), Browser(web.url)
    desk.sign_in(account.user.email)
    laptop.sign_in(account.user.email)
    desk.get("/account")
    refused = desk.post(
        "/account/password",
        {"current": "wrong", "new": "a new long password", "again": "a new long password"},
    )
    assert refused.status_code == 422
    changed = desk.post(
        "/account/password",
        {"current": PASSWORD, "new": "a new long password", "again": "a new long password"},
    )
    assert changed.status_code == 303
    assert desk.get("/").status_code == 200  # this session goes on
    assert laptop.get("/").status_code == 303  # the other one is over
    fresh = Browser(web.url)
    assert fresh.sign_in(account.user.email).status_code == 401
    assert fresh.sign_in(account.user.email, "a new long password").status_code == 303
    for client in (desk, laptop, fresh):
        client.close()


def test_a_disabled_user_is_signed_out(web: WebServer, world: World) -> None:
    org = world.org()
    admin = world.account(org, Role.ORG_ADMIN)
    user = world.account(org)
    boss, person = Browser(web.url), Browser(web.url)
    boss.sign_in(admin.user.email)
    person.sign_in(user.user.email)
    boss.get("/admin/users")
    assert boss.post(f"/admin/users/{user.user.id}", {"action": "disable"}).status_code == 303
    assert person.get("/").status_code == 303
    assert person.sign_in(user.user.email).status_code == 401
    boss.close()
    person.close()
