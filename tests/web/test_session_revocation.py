"""Server-side sessions: listed on the account page, ended one by one or all at once, by
sign-out, and at once when an administrator disables a user or resets the password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from accord.audit.models import AuditEntry
from accord.db.base import utcnow
from accord.identity.models import Role, WebSession
from accord.identity.service import SESSION_LIFETIME, SESSION_SEEN_RESOLUTION
from tests.factories import PASSWORD, World
from tests.web.conftest import WebServer
from tests.web.support import Browser


def _rows(web: WebServer, user_id: str) -> list[WebSession]:
    with web.db.read() as session:
        return list(session.scalars(select(WebSession).where(WebSession.user_id == user_id)))


def _audited(web: WebServer, action: str) -> list[AuditEntry]:
    with web.db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _signed_in(web: WebServer, email: str, agent: str) -> Browser:
    browser = Browser(web.url, **{"User-Agent": agent})
    assert browser.sign_in(email).status_code == 303
    return browser


def test_the_account_page_lists_my_sessions(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    other = world.account(world.org())
    desk = _signed_in(web, account.user.email, "DeskBrowser/1.0")
    phone = _signed_in(web, account.user.email, "PhoneBrowser/2.0")
    stranger = _signed_in(web, other.user.email, "StrangerBrowser/3.0")
    try:
        page = desk.get("/account").text
        assert "DeskBrowser/1.0" in page
        assert "PhoneBrowser/2.0" in page
        assert "StrangerBrowser/3.0" not in page
        assert page.count("This session") == 1
        assert page.count("End this session") == 1  # for the phone; this one signs out
        rows = _rows(web, account.user.id)
        assert {r.user_agent for r in rows} == {"DeskBrowser/1.0", "PhoneBrowser/2.0"}
        assert all(r.address == "127.0.0.1" for r in rows)
    finally:
        for browser in (desk, phone, stranger):
            browser.close()


def test_ending_another_session_signs_it_out_at_once(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    desk = _signed_in(web, account.user.email, "DeskBrowser/1.0")
    phone = _signed_in(web, account.user.email, "PhoneBrowser/2.0")
    try:
        assert phone.get("/").status_code == 200
        (phone_row,) = [r for r in _rows(web, account.user.id) if r.user_agent.startswith("Phone")]
        desk.get("/account")
        ended = desk.post(f"/account/sessions/{phone_row.id}/end")
        assert ended.status_code == 303
        assert phone.get("/").status_code == 303  # its signed cookie is worth nothing now
        assert desk.get("/").status_code == 200
        assert [r.user_agent for r in _rows(web, account.user.id)] == ["DeskBrowser/1.0"]
        assert [e.target for e in _audited(web, "session.end")] == [account.user.id]
    finally:
        desk.close()
        phone.close()


def test_nobody_ends_the_session_of_another_user(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    other = world.account(world.org())
    mine = _signed_in(web, account.user.email, "Mine/1.0")
    theirs = _signed_in(web, other.user.email, "Theirs/1.0")
    try:
        (their_row,) = _rows(web, other.user.id)
        mine.get("/account")
        refused = mine.post(f"/account/sessions/{their_row.id}/end")
        assert refused.status_code == 404
        assert theirs.get("/").status_code == 200
        assert len(_rows(web, other.user.id)) == 1
    finally:
        mine.close()
        theirs.close()


def test_sign_out_all_other_sessions(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    browsers = [_signed_in(web, account.user.email, f"Browser/{n}") for n in range(3)]
    try:
        keeper = browsers[0]
        keeper.get("/account")
        response = keeper.post("/account/sessions/end-others")
        assert response.status_code == 303
        assert "2 other sessions have been ended." in keeper.get("/account").text
        assert keeper.get("/").status_code == 200
        assert [b.get("/").status_code for b in browsers[1:]] == [303, 303]
        assert [r.user_agent for r in _rows(web, account.user.id)] == ["Browser/0"]
    finally:
        for browser in browsers:
            browser.close()


def test_sign_out_deletes_the_session_and_its_cookie_cannot_come_back(
    web: WebServer, world: World
) -> None:
    account = world.account(world.org())
    person = _signed_in(web, account.user.email, "Desk/1.0")
    try:
        person.get("/")
        saved = dict(person.http.cookies)
        assert len(_rows(web, account.user.id)) == 1
        assert person.post("/logout").status_code == 303
        assert _rows(web, account.user.id) == []
        person.http.cookies.clear()
        for name, value in saved.items():
            person.http.cookies.set(name, value)
        assert person.get("/").status_code == 303  # the old signed cookie, replayed
    finally:
        person.close()


def test_an_administrator_disabling_a_user_or_resetting_the_password_ends_their_sessions(
    web: WebServer, world: World
) -> None:
    org = world.org()
    boss_account = world.account(org, Role.ORG_ADMIN)
    first, second = world.account(org), world.account(org)
    boss = _signed_in(web, boss_account.user.email, "Boss/1.0")
    one = _signed_in(web, first.user.email, "One/1.0")
    two = _signed_in(web, second.user.email, "Two/1.0")
    try:
        boss.get("/admin/users")
        reset = boss.post(f"/admin/users/{first.user.id}", {"action": "reset"})
        assert reset.status_code == 200
        assert one.get("/").status_code == 303
        assert _rows(web, first.user.id) == []
        assert two.get("/").status_code == 200
        boss.post(f"/admin/users/{second.user.id}", {"action": "disable"})
        assert two.get("/").status_code == 303
        assert _rows(web, second.user.id) == []
        assert boss.get("/").status_code == 200
        ended = {e.target: e.actor for e in _audited(web, "session.end")}
        assert ended == {
            first.user.id: f"user:{boss_account.user.email}",
            second.user.id: f"user:{boss_account.user.email}",
        }
    finally:
        for browser in (boss, one, two):
            browser.close()


def test_last_seen_is_written_only_every_few_minutes(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person = _signed_in(web, account.user.email, "Desk/1.0")
    try:
        recent = utcnow() - SESSION_SEEN_RESOLUTION / 2
        with web.db.write() as session:
            session.execute(update(WebSession).values(last_seen_at=recent))
        person.get("/")
        (row,) = _rows(web, account.user.id)
        assert row.last_seen_at == recent.replace(microsecond=row.last_seen_at.microsecond)
        old = utcnow() - SESSION_SEEN_RESOLUTION - timedelta(minutes=1)
        with web.db.write() as session:
            session.execute(update(WebSession).values(last_seen_at=old))
        person.get("/")
        (row,) = _rows(web, account.user.id)
        assert row.last_seen_at > old + timedelta(minutes=1)
    finally:
        person.close()


def test_a_session_past_its_lifetime_is_over(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person = _signed_in(web, account.user.email, "Desk/1.0")
    try:
        long_ago = utcnow() - SESSION_LIFETIME - timedelta(minutes=1)
        with web.db.write() as session:
            session.execute(update(WebSession).values(created_at=long_ago))
        assert person.get("/").status_code == 303
        fresh = Browser(web.url, **{"User-Agent": "Fresh/1.0"})
        try:
            assert fresh.sign_in(account.user.email, PASSWORD).status_code == 303
            # Signing in clears the expired rows away.
            assert [r.user_agent for r in _rows(web, account.user.id)] == ["Fresh/1.0"]
        finally:
            fresh.close()
    finally:
        person.close()


def test_a_wrong_current_password_changes_nothing_ends_nothing_and_is_audited(
    web: WebServer, world: World
) -> None:
    account = world.account(world.org())
    desk = _signed_in(web, account.user.email, "Desk/1.0")
    phone = _signed_in(web, account.user.email, "Phone/1.0")
    try:
        desk.get("/account")
        refused = desk.post(
            "/account/password",
            {
                "current": "not it at all",
                "new": "a new long password",
                "again": "a new long password",
            },
        )
        assert refused.status_code == 422
        assert phone.get("/").status_code == 200
        assert len(_rows(web, account.user.id)) == 2
        assert [e.target for e in _audited(web, "user.password.failed")] == [account.user.id]
        assert _audited(web, "session.end") == []
    finally:
        desk.close()
        phone.close()
