"""The e-mail digest of public coverage: double opt-in, one-click unsubscribe, sending.

A visitor subscribes with an address and a frequency; the address receives a
confirmation mail with a single-use token and gets digests only once confirmed. Every
mail that is not a confirmation carries its own unsubscribe token (RFC 8058 one-click:
`List-Unsubscribe` and `List-Unsubscribe-Post`); any of them removes the subscription
and every token with it, so a reused token finds nothing. Tokens are stored only as
SHA-256 hashes. The page answers the same for every address, known or not, and an
address receives at most one confirmation or notice mail per `MAIL_INTERVAL`.

A digest carries what was released after the subscriber's mark (`seen_until`) and is
public now; the mark moves only once the mail server has accepted the mail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.cooperation.coverage import released_after
from accord.cooperation.coverage_models import (
    DigestSubscriber,
    DigestToken,
    Frequency,
    PublicRelease,
    TokenPurpose,
)
from accord.db import Database
from accord.db.base import utcnow
from accord.errors import AccordError, Invalid
from accord.settings import Settings
from accord.web import mailtext

MAIL_INTERVAL = timedelta(minutes=10)
CONFIRM_VALIDITY = timedelta(hours=48)
DIGEST_LIMIT = 100  # items per mail; the rest follow in the next digest
SMTP_TIMEOUT_SECONDS = 30
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class MailUnavailable(AccordError):
    """The mail server is not configured, or did not accept the message."""

    code = "mail_unavailable"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> SmtpSettings:
        if not settings.smtp_host or not settings.smtp_from:
            raise MailUnavailable("the e-mail digest needs ACCORD_SMTP_HOST and ACCORD_SMTP_FROM")
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            settings.smtp_starttls,
            settings.smtp_user,
            settings.smtp_password,
        )


class Mailer:
    """Hands messages to the configured SMTP server (standard library smtplib)."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp

    def send(self, message: EmailMessage) -> None:
        """Return only once the server has accepted the message."""
        s = self.smtp
        del message["From"]
        message["From"] = s.sender
        try:
            with smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS) as client:
                if s.starttls:
                    client.starttls()
                if s.user:
                    client.login(s.user, s.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(
                f"the mail server did not accept the message ({type(exc).__name__})"
            ) from None


@dataclass(frozen=True)
class Links:
    """Absolute addresses for mails, from the site's public base URL."""

    base: str

    def item(self, release_id: str) -> str:
        return f"{self.base}/news/{release_id}"

    def confirm(self, token: str) -> str:
        return f"{self.base}/news/confirm?token={quote(token)}"

    def unsubscribe(self, token: str) -> str:
        return f"{self.base}/news/unsubscribe?token={quote(token)}"

    def one_click(self, token: str) -> str:
        return f"{self.base}/api/v1/public/unsubscribe?token={quote(token)}"


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise Invalid(mailtext.INVALID_EMAIL)
    return email


def parse_frequency(value: str) -> Frequency:
    try:
        return Frequency(value)
    except ValueError:
        raise Invalid(mailtext.INVALID_FREQUENCY) from None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(session: Session, subscriber: DigestSubscriber, purpose: TokenPurpose) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        DigestToken(
            token_hash=_hash(token),
            subscriber_id=subscriber.id,
            purpose=purpose.value,
            created_at=utcnow(),
        )
    )
    return token


def _usable(session: Session, token: str, purpose: TokenPurpose) -> DigestToken:
    """The stored token, if it is valid for this purpose now; Invalid otherwise."""
    found = session.get(DigestToken, _hash(token)) if 0 < len(token) <= 200 else None
    if purpose is TokenPurpose.CONFIRM:
        if (
            found is None
            or found.purpose != purpose
            or utcnow() - found.created_at > CONFIRM_VALIDITY
        ):
            raise Invalid(mailtext.BAD_CONFIRM)
    elif found is None or found.purpose != purpose:
        raise Invalid(mailtext.BAD_UNSUBSCRIBE)
    return found


def _message(to: str, subject_and_body: tuple[str, str]) -> EmailMessage:
    subject, body = subject_and_body
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="accord.invalid")
    message.set_content(body)
    return message


def _unsubscribable(message: EmailMessage, links: Links, token: str) -> EmailMessage:
    """RFC 8058: one POST to the header's address unsubscribes, no page, no sign-in."""
    message["List-Unsubscribe"] = f"<{links.one_click(token)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


# --- subscribing ------------------------------------------------------------------------------


def subscribe(
    session: Session,
    mailer: Mailer,
    links: Links,
    email: str,
    frequency: Frequency,
    language: str,
) -> None:
    """Start a subscription, or mail a known address again; the caller learns nothing.

    Runs in the caller's write transaction and sends before it commits: when the mail
    server refuses, nothing is kept.
    """
    address = normalize_email(email)
    now = utcnow()
    subscriber = session.scalars(
        select(DigestSubscriber).where(DigestSubscriber.email == address)
    ).first()
    if (
        subscriber is not None
        and subscriber.mailed_at
        and now - subscriber.mailed_at < MAIL_INTERVAL
    ):
        return  # one mail per interval per address: the page still says the same
    if subscriber is None:
        subscriber = DigestSubscriber(
            email=address, frequency=frequency.value, language=language, created_at=now
        )
        session.add(subscriber)
        session.flush()
    subscriber.mailed_at = now
    if subscriber.confirmed_at is not None:
        token = _new_token(session, subscriber, TokenPurpose.UNSUBSCRIBE)
        wording = mailtext.notice(subscriber.language, links.unsubscribe(token))
        message = _unsubscribable(_message(address, wording), links, token)
    else:
        subscriber.frequency = frequency.value
        subscriber.language = language
        session.execute(
            delete(DigestToken).where(
                DigestToken.subscriber_id == subscriber.id,
                DigestToken.purpose == TokenPurpose.CONFIRM.value,
            )
        )
        token = _new_token(session, subscriber, TokenPurpose.CONFIRM)
        message = _message(address, mailtext.confirmation(language, links.confirm(token)))
    session.flush()
    mailer.send(message)


def check_token(session: Session, token: str, purpose: TokenPurpose) -> None:
    """Raise unless the token is usable now (for the page before the button)."""
    _usable(session, token, purpose)


def confirm(session: Session, token: str) -> None:
    """Activate the subscription of a confirmation token; the token is used up."""
    found = _usable(session, token, TokenPurpose.CONFIRM)
    subscriber = session.get(DigestSubscriber, found.subscriber_id)
    assert subscriber is not None  # a token's row goes with its subscriber's
    now = utcnow()
    newest = session.scalar(select(func.max(PublicRelease.released_at)))
    subscriber.confirmed_at = now
    subscriber.seen_until = max(now, newest) if newest else now  # news from now on
    session.delete(found)
    session.flush()


def unsubscribe(session: Session, token: str) -> None:
    """Remove the subscription and every token it had."""
    subscriber_id = _usable(session, token, TokenPurpose.UNSUBSCRIBE).subscriber_id
    session.execute(delete(DigestToken).where(DigestToken.subscriber_id == subscriber_id))
    session.execute(delete(DigestSubscriber).where(DigestSubscriber.id == subscriber_id))


# --- sending ----------------------------------------------------------------------------------


@dataclass
class DigestRun:
    sent: int = 0
    nothing_new: int = 0
    failed: int = 0


def _forget_unconfirmed(session: Session) -> None:
    """Addresses never confirmed while their link was valid are not kept."""
    stale = select(DigestSubscriber.id).where(
        DigestSubscriber.confirmed_at.is_(None),
        DigestSubscriber.created_at < utcnow() - CONFIRM_VALIDITY,
    )
    session.execute(delete(DigestToken).where(DigestToken.subscriber_id.in_(stale)))
    session.execute(delete(DigestSubscriber).where(DigestSubscriber.id.in_(stale)))


def _due(session: Session, frequency: Frequency | None) -> list[str]:
    statement = select(DigestSubscriber.id).where(DigestSubscriber.confirmed_at.is_not(None))
    if frequency is not None:
        statement = statement.where(DigestSubscriber.frequency == frequency.value)
    return list(session.scalars(statement.order_by(DigestSubscriber.created_at)))


def _send_one(db: Database, mailer: Mailer, links: Links, subscriber_id: str) -> bool:
    """Mail one subscriber what is new for them; False when there is nothing new."""
    with db.write() as session:  # the token first: unused if the mail never leaves
        subscriber = session.get(DigestSubscriber, subscriber_id)
        if subscriber is None:
            return False  # unsubscribed meanwhile
        items = released_after(session, subscriber.seen_until, DIGEST_LIMIT)
        if not items:
            return False
        token = _new_token(session, subscriber, TokenPurpose.UNSUBSCRIBE)
        wording = mailtext.digest(subscriber.language, items, links.item, links.unsubscribe(token))
        message = _unsubscribable(_message(subscriber.email, wording), links, token)
    mailer.send(message)
    with db.write() as session:  # accepted: now, and only now, the mark moves
        subscriber = session.get(DigestSubscriber, subscriber_id)
        if subscriber is not None:
            subscriber.seen_until = items[-1].released_at
    return True


def send_digests(
    db: Database, mailer: Mailer, links: Links, frequency: Frequency | None = None
) -> DigestRun:
    """Send each confirmed subscriber (of `frequency`, or all) what was released since
    their last digest; a subscriber whose mail fails keeps their mark for the next run."""
    with db.write() as session:
        _forget_unconfirmed(session)
    with db.read() as session:
        due = _due(session, frequency)
    run = DigestRun()
    for subscriber_id in due:
        try:
            if _send_one(db, mailer, links, subscriber_id):
                run.sent += 1
            else:
                run.nothing_new += 1
        except MailUnavailable:
            run.failed += 1
    return run
