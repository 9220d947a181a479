"""The e-mail digest end to end, with real mails through a local SMTP server: double
opt-in, the same answer for every address, digests of what is new, nothing lost when
the server refuses, nothing sent twice, and one-click unsubscribe (RFC 8058)."""

# ruff: noqa: F811  (pytest fixtures imported from coverage_fixtures are parameters here)

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from accord.cooperation.coverage_models import DigestSubscriber, DigestToken
from accord.cooperation.digest import (
    CONFIRM_VALIDITY,
    Links,
    Mailer,
    MailUnavailable,
    SmtpSettings,
    send_digests,
)
from accord.db import Database
from accord.settings import Settings, SettingsError
from accord.sharing.distribution import Distribution
from accord.web.views.public import SubscribeLimit
from tests.cooperation.coverage_fixtures import (  # noqa: F401  (fixtures)
    SENDER,
    CoverageServer,
    Inbox,
    coverage_server,
    event,
    inbox,
    links,
    links_in,
    mailer,
    release,
    rest,
    site,
    smtp_server,
)
from tests.factories import Account, World
from tests.web.support import Browser

ROOT = Path(__file__).resolve().parents[2]
CHECK_INBOX = "Check your inbox"


def _publish_and_release(world: World, rest: httpx.Client, author: Account, name: str) -> str:
    obj = event(name=name, description=f"About {name}.")
    assert world.ingest(author, obj, distribution=Distribution.OPEN).ok
    assert release(rest, author, obj["id"]).status_code == 201
    return str(obj["id"])


def _subscribe(site: str, email: str, frequency: str = "daily") -> httpx.Response:
    visitor = Browser(site)
    try:
        assert visitor.get("/news").status_code == 200
        return visitor.post("/news/subscribe", {"email": email, "frequency": frequency})
    finally:
        visitor.close()


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as session:
        subscribers = session.scalar(select(func.count()).select_from(DigestSubscriber))
        tokens = session.scalar(select(func.count()).select_from(DigestToken))
    return subscribers or 0, tokens or 0


def _confirm(site: str, link: str) -> httpx.Response:
    visitor = Browser(site)
    try:
        page = visitor.get(link.removeprefix(site))
        assert page.status_code == 200
        token = link.split("token=", 1)[1]
        return visitor.post("/news/confirm", {"token": token})
    finally:
        visitor.close()


def test_double_opt_in_digest_and_one_click_unsubscribe(
    world: World,
    db: Database,
    rest: httpx.Client,
    site: str,
    inbox: Inbox,
    mailer: Mailer,
    links: Links,
) -> None:
    author = world.account(world.org("Defence Staff of Aldoria"))
    _publish_and_release(world, rest, author, "Staff talks before the subscription")

    answer = _subscribe(site, "Reader@Example.org")
    assert answer.status_code == 200
    assert CHECK_INBOX in answer.text
    (confirmation,) = inbox.take()
    assert confirmation["To"] == "reader@example.org"
    assert confirmation["From"] == SENDER
    assert "List-Unsubscribe" not in confirmation
    (confirm_link,) = [u for u in links_in(confirmation) if "/news/confirm" in u]

    # Unconfirmed: no digest, whatever is released.
    _publish_and_release(world, rest, author, "Exercise while unconfirmed")
    assert send_digests(db, mailer, links).sent == 0
    assert inbox.take() == []

    confirmed = _confirm(site, confirm_link)
    assert confirmed.status_code == 200
    assert "Subscription confirmed" in confirmed.text
    reused = _confirm_post_only(site, confirm_link)
    assert reused.status_code == 422  # single use
    assert "not valid or has been used already" in reused.text

    # Confirmed now: only what is released from now on.
    run = send_digests(db, mailer, links)
    assert (run.sent, run.nothing_new) == (0, 1)
    assert inbox.take() == []
    _publish_and_release(world, rest, author, "Joint exercise Northern Shield")
    assert send_digests(db, mailer, links).sent == 1
    (digest_mail,) = inbox.take()
    body = _body(digest_mail)
    assert "Joint exercise Northern Shield" in body
    assert "About Joint exercise Northern Shield." in body
    assert "Defence Staff of Aldoria" in body
    assert "Exercise while unconfirmed" not in body
    assert "before the subscription" not in body
    assert digest_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = str(digest_mail["List-Unsubscribe"]).strip("<>")
    assert one_click.startswith(f"{site}/api/v1/public/unsubscribe?token=")
    assert any("/news/" in u and "unsubscribe" not in u for u in links_in(digest_mail))

    # Nothing sent twice.
    assert send_digests(db, mailer, links).sent == 0
    assert inbox.take() == []

    # The server refuses: the mark stays, and the next run delivers it.
    _publish_and_release(world, rest, author, "Visit of the liaison officers")
    inbox.refuse = True
    run = send_digests(db, mailer, links)
    assert (run.sent, run.failed) == (0, 1)
    inbox.refuse = False
    assert send_digests(db, mailer, links).sent == 1
    (late,) = inbox.take()
    assert "Visit of the liaison officers" in _body(late)
    assert "Northern Shield" not in _body(late)

    # One click (RFC 8058): a POST without cookie or CSRF token; then the token is spent.
    wrong = httpx.post(
        one_click.split("token=")[0] + "token=wrong", data={"List-Unsubscribe": "One-Click"}
    )
    assert wrong.status_code == 422
    assert _counts(db)[0] == 1
    done = httpx.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert done.json() == {"unsubscribed": True}
    assert _counts(db) == (0, 0)
    again = httpx.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 422
    assert "not valid or has been used already" in again.json()["detail"]
    _publish_and_release(world, rest, author, "After unsubscribing")
    assert send_digests(db, mailer, links).sent == 0
    assert inbox.take() == []


def _confirm_post_only(site: str, link: str) -> httpx.Response:
    visitor = Browser(site)
    try:
        visitor.get("/news")
        return visitor.post("/news/confirm", {"token": link.split("token=", 1)[1]})
    finally:
        visitor.close()


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    db: Database, site: str, inbox: Inbox
) -> None:
    first = _subscribe(site, "known@example.org", "weekly")
    assert len(inbox.take()) == 1
    again = _subscribe(site, "known@example.org", "weekly")
    unknown = _subscribe(site, "unknown@example.org", "weekly")
    assert first.status_code == again.status_code == unknown.status_code == 200
    assert CHECK_INBOX in again.text
    assert CHECK_INBOX in unknown.text
    # At most one mail per address per interval: the repeat sent none.
    (only,) = inbox.take()
    assert only["To"] == "unknown@example.org"
    assert _counts(db)[0] == 2


def test_a_confirmed_address_is_told_so_and_can_unsubscribe_on_the_page(
    db: Database, site: str, inbox: Inbox
) -> None:
    _subscribe(site, "member@example.org")
    (confirmation,) = inbox.take()
    (link,) = [u for u in links_in(confirmation) if "/news/confirm" in u]
    assert _confirm(site, link).status_code == 200
    with db.write() as session:  # the interval between mails has passed
        session.execute(DigestSubscriber.__table__.update().values(mailed_at=None))  # type: ignore[attr-defined]
    assert CHECK_INBOX in _subscribe(site, "member@example.org").text
    (notice,) = inbox.take()
    assert "already receives" in _body(notice)
    (page_link,) = [u for u in links_in(notice) if "/news/unsubscribe" in u]
    visitor = Browser(site)
    try:
        page = visitor.get(page_link.removeprefix(site))
        assert page.status_code == 200
        token = page_link.split("token=", 1)[1]
        without_csrf = visitor.post("/news/unsubscribe", {"token": token}, token=False)
        assert without_csrf.status_code == 403
        assert _counts(db)[0] == 1
        done = visitor.post("/news/unsubscribe", {"token": token})
        assert done.status_code == 200
        assert "Unsubscribed" in done.text
        assert _counts(db) == (0, 0)
        assert visitor.get(page_link.removeprefix(site)).status_code == 422
    finally:
        visitor.close()


def test_bad_subscriptions_change_nothing(db: Database, site: str, inbox: Inbox) -> None:
    assert _subscribe(site, "not an address").status_code == 422
    assert _subscribe(site, "someone@example.org", "hourly").status_code == 422
    visitor = Browser(site)
    try:
        visitor.get("/news")
        forged = visitor.post(
            "/news/subscribe", {"email": "a@example.org", "frequency": "daily"}, token=False
        )
        assert forged.status_code == 403
        assert visitor.get("/news/confirm?token=made-up").status_code == 422
    finally:
        visitor.close()
    assert inbox.take() == []
    assert _counts(db) == (0, 0)
    inbox.refuse = True
    refused = _subscribe(site, "later@example.org")
    assert refused.status_code == 503
    assert "No mail can be sent now" in refused.text
    assert _counts(db) == (0, 0)  # the mail server refused: nothing kept


def test_the_cli_sends_the_digest(
    world: World,
    db: Database,
    rest: httpx.Client,
    site: str,
    inbox: Inbox,
    database_url: str,
    smtp_server: tuple[Inbox, int],
) -> None:
    author = world.account(world.org("General Staff of Belvania"))
    _subscribe(site, "weekly@example.org", "weekly")
    (confirmation,) = inbox.take()
    (link,) = [u for u in links_in(confirmation) if "/news/confirm" in u]
    assert _confirm(site, link).status_code == 200
    _publish_and_release(world, rest, author, "Conference on counter-terrorism")
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_PUBLIC_URL": "https://news.example.org",
        "ACCORD_SMTP_HOST": "127.0.0.1",
        "ACCORD_SMTP_PORT": str(smtp_server[1]),
        "ACCORD_SMTP_FROM": SENDER,
    }
    command = [sys.executable, "-m", "accord", "digest", "send"]
    daily = subprocess.run(
        [*command, "--frequency", "daily"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert daily.returncode == 0, daily.stderr
    assert inbox.take() == []  # no daily subscriber
    weekly = subprocess.run(
        [*command, "--frequency", "weekly"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert weekly.returncode == 0, weekly.stderr
    assert "digests sent: 1" in weekly.stderr
    (mail,) = inbox.take()
    assert "Conference on counter-terrorism" in _body(mail)
    assert str(mail["List-Unsubscribe"]).startswith("<https://news.example.org/api/v1/public/")
    no_url = {k: v for k, v in env.items() if k != "ACCORD_PUBLIC_URL"}
    refused = subprocess.run(
        command, env=no_url, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1
    assert "ACCORD_PUBLIC_URL" in refused.stderr


def test_subscribe_requests_are_limited_per_client(
    db: Database, site: str, inbox: Inbox, coverage_server: CoverageServer
) -> None:
    coverage_server.app.state.subscribe_limit = SubscribeLimit(limit=2)
    assert CHECK_INBOX in _subscribe(site, "first@example.org").text
    assert CHECK_INBOX in _subscribe(site, "second@example.org").text
    third = _subscribe(site, "third@example.org")
    assert third.status_code == 429
    assert "Too many subscription requests" in third.text
    assert sorted(m["To"] for m in inbox.take()) == ["first@example.org", "second@example.org"]
    assert _counts(db)[0] == 2


def test_mails_link_to_the_configured_address_whatever_the_host_header(
    db: Database, site: str, inbox: Inbox
) -> None:
    visitor = Browser(site, host="attacker.example")
    try:
        assert visitor.get("/news").status_code == 200
        answer = visitor.post("/news/subscribe", {"email": "x@example.org", "frequency": "daily"})
        assert answer.status_code == 200
    finally:
        visitor.close()
    (mail,) = inbox.take()
    assert links_in(mail)
    assert all(link.startswith(f"{site}/news/") for link in links_in(mail))


def test_unconfirmed_addresses_are_forgotten_once_their_link_expires(
    db: Database, site: str, inbox: Inbox, mailer: Mailer, links: Links
) -> None:
    _subscribe(site, "fresh@example.org")
    _subscribe(site, "stale@example.org")
    (_, stale_mail) = inbox.take()
    with db.write() as session:
        stale = session.scalars(
            select(DigestSubscriber).where(DigestSubscriber.email == "stale@example.org")
        ).one()
        stale.created_at -= CONFIRM_VALIDITY + timedelta(minutes=1)
        session.execute(
            DigestToken.__table__.update()  # type: ignore[attr-defined]
            .where(DigestToken.subscriber_id == stale.id)
            .values(created_at=stale.created_at)
        )
    (link,) = [u for u in links_in(stale_mail) if "/news/confirm" in u]
    assert _confirm_post_only(site, link).status_code == 422  # expired
    send_digests(db, mailer, links)
    with db.read() as session:
        left = list(session.scalars(select(DigestSubscriber.email)))
    assert left == ["fresh@example.org"]
    assert _counts(db) == (1, 1)


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("ACCORD_SMTP_PORT", "587")
    monkeypatch.setenv("ACCORD_SMTP_FROM", SENDER)
    monkeypatch.setenv("ACCORD_SMTP_STARTTLS", "true")
    monkeypatch.setenv("ACCORD_SMTP_USER", "digest")
    monkeypatch.setenv("ACCORD_SMTP_PASSWORD", "secret")
    smtp = SmtpSettings.of(Settings.from_env())
    assert smtp == SmtpSettings("mail.example.org", 587, SENDER, True, "digest", "secret")
    monkeypatch.setenv("ACCORD_SMTP_STARTTLS", "perhaps")
    with pytest.raises(SettingsError, match="ACCORD_SMTP_STARTTLS"):
        Settings.from_env()
    monkeypatch.setenv("ACCORD_SMTP_STARTTLS", "")
    monkeypatch.delenv("ACCORD_SMTP_HOST")
    with pytest.raises(MailUnavailable, match="ACCORD_SMTP_HOST"):
        SmtpSettings.of(Settings.from_env())
