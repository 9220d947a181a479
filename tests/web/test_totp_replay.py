"""A TOTP code (its time step) is accepted once per user: at sign-in and at enrolment."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.identity.models import User
from accord.identity.service import (
    WrongCode,
    authenticate_totp,
    disable_totp,
    enable_totp,
)
from tests.factories import PASSWORD, World
from tests.web.conftest import WebServer
from tests.web.support import Browser

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)


def _code(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def _last_step(web: WebServer, user_id: str) -> int | None:
    with web.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.totp_last_step


def test_a_sign_in_code_is_accepted_once(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    secret = pyotp.random_base32()
    user_id = account.user.id
    with web.db.write() as session:
        enable_totp(session, user_id, secret, _code(secret, NOW - STEP), now=NOW)
    with web.db.write() as session:
        assert authenticate_totp(session, user_id, _code(secret, NOW), now=NOW) is not None
    assert _last_step(web, user_id) == pyotp.TOTP(secret).timecode(NOW)
    with web.db.write() as session:  # the same code again, within its validity
        assert authenticate_totp(session, user_id, _code(secret, NOW), now=NOW) is None
        assert authenticate_totp(session, user_id, _code(secret, NOW), now=NOW + STEP) is None
        # An older code, still inside the window of one step, is refused too.
        assert authenticate_totp(session, user_id, _code(secret, NOW - STEP), now=NOW) is None
    with web.db.write() as session:  # the next step's code is new: accepted
        assert authenticate_totp(session, user_id, _code(secret, NOW + STEP), now=NOW) is not None
    with web.db.write() as session:
        assert authenticate_totp(session, user_id, _code(secret, NOW + STEP), now=NOW) is None
        why = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "login.failed")
        ).all()
    assert why == ['{"why":"totp"}'] * 4


def test_the_enrolment_code_cannot_sign_in(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    secret = pyotp.random_base32()
    with web.db.write() as session:
        enable_totp(session, account.user.id, secret, _code(secret, NOW), now=NOW)
    with web.db.write() as session:
        assert authenticate_totp(session, account.user.id, _code(secret, NOW), now=NOW) is None


def test_re_enrolment_refuses_a_step_used_before(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    first, second = pyotp.random_base32(), pyotp.random_base32()
    with web.db.write() as session:
        enable_totp(session, account.user.id, first, _code(first, NOW), now=NOW)
    with web.db.write() as session:
        disable_totp(session, account.user.id, PASSWORD)
    with web.db.write() as session, pytest.raises(WrongCode):
        # A code of the new secret, but of the step accepted already: refused.
        enable_totp(session, account.user.id, second, _code(second, NOW), now=NOW)
    with web.db.write() as session:
        enable_totp(session, account.user.id, second, _code(second, NOW + STEP), now=NOW)
    assert _last_step(web, account.user.id) == pyotp.TOTP(second).timecode(NOW + STEP)


def _sign_in_with_code(person: Browser, email: str, code: str) -> int:
    assert person.sign_in(email).headers["location"] == "/login/code"
    person.get("/login/code")
    return person.post("/login/code", {"code": code}).status_code


def test_a_replayed_code_is_refused_on_the_sign_in_page(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person = Browser(web.url)
    try:
        person.sign_in(account.user.email)
        enrol = person.get("/account/totp")
        found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', enrol.text)
        assert found is not None
        secret = found.group(1).replace(" ", "")
        enrolment_code = pyotp.TOTP(secret).now()
        assert person.post("/account/totp", {"code": enrolment_code}).status_code == 303
        person.get("/")
        person.post("/logout")
        # The code typed at enrolment, seen over a shoulder, signs nobody in.
        assert _sign_in_with_code(person, account.user.email, enrolment_code) == 401
        assert person.get("/").status_code == 303
        next_code = pyotp.TOTP(secret).at(time.time() + 30)
        assert person.post("/login/code", {"code": next_code}).status_code == 303
        assert person.get("/").status_code == 200
        person.post("/logout")
        assert _sign_in_with_code(person, account.user.email, next_code) == 401
        assert person.get("/").status_code == 303
    finally:
        person.close()


def test_an_enrolment_code_is_refused_when_wrong(web: WebServer, world: World) -> None:
    account = world.account(world.org())
    person = Browser(web.url)
    try:
        person.sign_in(account.user.email)
        person.get("/account/totp")
        refused = person.post("/account/totp", {"code": "12345"})
        assert refused.status_code == 422
        with web.db.read() as session:
            user = session.get(User, account.user.id)
            assert user is not None
            assert user.totp_secret is None
    finally:
        person.close()
