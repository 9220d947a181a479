"""The language chosen per user (every device), else the browser's, else the cookie of a
signed-out visitor; dates localized in it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.errors import Invalid
from accord.identity.models import User, WebSession
from accord.identity.service import LANGUAGES, set_language
from accord.web import i18n
from tests.factories import World
from tests.web.conftest import WebServer
from tests.web.support import Browser

_HTML_LANG = re.compile(r'<html lang="([^"]+)"')


def _lang(html: str) -> str:
    found = _HTML_LANG.search(html)
    assert found is not None
    return found.group(1)


def _stored(web: WebServer, user_id: str) -> str | None:
    with web.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.language


def test_the_service_knows_the_same_languages_as_the_pages() -> None:
    assert set(i18n.LANGUAGES) == LANGUAGES


def test_an_unknown_language_is_refused(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    with web.db.write() as session, pytest.raises(Invalid):
        set_language(session, account.user.id, "de")
    assert _stored(web, account.user.id) is None


def test_without_a_choice_the_browser_language_applies(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    russian = Browser(web.url, **{"Accept-Language": "ru-RU,ru;q=0.9"})
    try:
        russian.sign_in(account.user.email)
        page = russian.get("/account")
        assert _lang(page.text) == "ru"
        assert "Моя учетная запись" in page.text
    finally:
        russian.close()


def test_the_choice_on_the_account_page_follows_the_user_to_every_device(
    web: WebServer, world: World
) -> None:
    account = world.account(world.org())
    desk = Browser(web.url, **{"Accept-Language": "en"})
    laptop = Browser(web.url, **{"Accept-Language": "ru"})
    try:
        desk.sign_in(account.user.email)
        laptop.sign_in(account.user.email)
        assert _lang(laptop.get("/").text) == "ru"
        desk.get("/account")
        saved = desk.post("/account/language", {"language": "zh"})
        assert saved.status_code == 303
        assert _stored(web, account.user.id) == "zh"
        assert _lang(desk.get("/account").text) == "zh-Hans"
        assert _lang(laptop.get("/").text) == "zh-Hans"  # at once, on the other device
        fresh = Browser(web.url, **{"Accept-Language": "ru"})
        try:
            fresh.sign_in(account.user.email)
            assert _lang(fresh.get("/").text) == "zh-Hans"  # and on a new one
        finally:
            fresh.close()
        desk.post("/account/language", {"language": ""})  # back to the browser's
        assert _stored(web, account.user.id) is None
        assert _lang(laptop.get("/").text) == "ru"
        with web.db.read() as session:
            audited = session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "user.language")
            ).all()
        assert audited == ['{"language":"zh"}', '{"language":null}']
    finally:
        desk.close()
        laptop.close()


def test_the_header_switch_is_remembered_for_a_signed_in_user(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person, other = Browser(web.url), Browser(web.url)
    try:
        person.sign_in(account.user.email)
        other.sign_in(account.user.email)
        person.get("/")
        response = person.post("/language", {"language": "ru", "next": "/reports"})
        assert response.headers["location"] == "/reports"
        assert _stored(web, account.user.id) == "ru"
        assert _lang(other.get("/").text) == "ru"
    finally:
        person.close()
        other.close()


def test_a_signed_out_visitor_keeps_the_cookie_and_changes_no_user(
    web: WebServer, world: World
) -> None:
    account = world.account(world.org())
    visitor = Browser(web.url, **{"Accept-Language": "en"})
    try:
        visitor.get("/login")
        visitor.post("/language", {"language": "zh", "next": "/login"})
        assert _lang(visitor.get("/login").text) == "zh-Hans"
        assert _stored(web, account.user.id) is None
        # Signing in without a choice of one's own keeps this browser's choice.
        visitor.sign_in(account.user.email)
        assert _lang(visitor.get("/").text) == "zh-Hans"
        assert _stored(web, account.user.id) is None
    finally:
        visitor.close()


def test_a_wrong_language_on_the_account_page_is_refused(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person = Browser(web.url)
    try:
        person.sign_in(account.user.email)
        person.get("/account")
        refused = person.post("/account/language", {"language": "tlh"})
        assert refused.status_code == 422
        assert "Choose one of the languages offered." in refused.text
        assert _stored(web, account.user.id) is None
    finally:
        person.close()


def test_dates_on_the_account_page_are_in_the_users_language(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person = Browser(web.url)
    try:
        person.sign_in(account.user.email)
        person.get("/account")
        person.post("/account/language", {"language": "ru"})
        page = person.get("/account").text
        with web.db.read() as session:
            started = session.scalars(
                select(WebSession.created_at).where(WebSession.user_id == account.user.id)
            ).one()
        token = i18n.activate("ru")
        try:
            expected = i18n.when(started)
        finally:
            i18n.deactivate(token)
        assert expected in page
        assert any(ch in expected for ch in "абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
    finally:
        person.close()
