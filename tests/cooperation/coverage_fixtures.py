"""A real SMTP server (aiosmtpd) on 127.0.0.1, a live Accord that mails through it, and
objects of every sharing for the public-coverage tests."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI

from accord.app import create_app
from accord.cooperation.digest import Links, Mailer, SmtpSettings
from accord.db import Database
from accord.organizations.service import ensure_local_node
from accord.settings import Settings
from accord.sharing.tlp import Tlp
from accord.web.views.public import SubscribeLimit
from tests.cooperation.samples import cooperation_event
from tests.factories import Account, World, stamp
from tests.server import serve_in_thread
from tests.web.conftest import SECRET

SENDER = "news@accord.example.org"
_LINK = re.compile(r"https?://\S+")


@dataclass
class Inbox:
    """What the SMTP server accepted; `refuse` makes it answer 451 to every message."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        content = envelope.content
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def take(self) -> list[EmailMessage]:
        with self.lock:
            taken, self.messages = self.messages, []
        return taken


def links_in(message: EmailMessage) -> list[str]:
    body = message.get_body(("plain",))
    assert body is not None
    return _LINK.findall(body.get_content())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[Inbox, int]) -> Inbox:
    box, _port = smtp_server
    box.take()
    box.refuse = False
    return box


@pytest.fixture
def mailer(smtp_server: tuple[Inbox, int]) -> Mailer:
    return Mailer(SmtpSettings("127.0.0.1", smtp_server[1], SENDER))


@dataclass(frozen=True)
class CoverageServer:
    url: str
    app: FastAPI


@pytest.fixture(scope="session")
def coverage_server(
    _database: Database, smtp_server: tuple[Inbox, int]
) -> Iterator[CoverageServer]:
    """The whole application (web pages included), mailing through the test SMTP server."""
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    settings = Settings(
        database_url="unused://",
        extra={"secret_key": SECRET},
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        smtp_from=SENDER,
    )
    app = create_app(settings, _database)
    with serve_in_thread(app) as url:
        app.state.settings = settings.with_overrides(public_url=url)  # known only now
        yield CoverageServer(url, app)


@pytest.fixture
def site(db: Database, coverage_server: CoverageServer, inbox: Inbox) -> str:
    """The live server's URL, on a database emptied for this test, with a fresh limit
    on subscribe requests."""
    coverage_server.app.state.subscribe_limit = SubscribeLimit()
    return coverage_server.url


@pytest.fixture
def links(site: str) -> Links:
    return Links(site)


@pytest.fixture
def rest(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{site}/api/v1", timeout=60) as http:
        yield http


def event(tlp: Tlp = Tlp.CLEAR, **changes: Any) -> dict[str, Any]:
    """A cooperation event, marked `tlp`, created a minute ago."""
    moment = stamp(datetime.now(UTC) - timedelta(minutes=1))
    obj = {**cooperation_event(), "created": moment, "modified": moment, **changes}
    del obj["participant_refs"]  # identities the test database does not hold
    if tlp is not Tlp.NONE:
        obj["object_marking_refs"] = [tlp.marking_id]
    return obj


def later(obj: dict[str, Any], tlp: Tlp, **changes: Any) -> dict[str, Any]:
    """The next version of `obj`, marked `tlp`."""
    new = {**obj, "modified": stamp(), **changes}
    new.pop("object_marking_refs", None)
    if tlp is not Tlp.NONE:
        new["object_marking_refs"] = [tlp.marking_id]
    return new


def release(api: httpx.Client, account: Account, stix_id: str) -> httpx.Response:
    return api.post(f"/objects/{stix_id}/release", headers=account.headers)


def public_titles(api: httpx.Client) -> list[str]:
    response = api.get("/public/items", params={"size": 100})
    assert response.status_code == 200
    return [item["title"] for item in response.json()["items"]]


__all__ = [
    "CoverageServer",
    "World",
    "coverage_server",
    "inbox",
    "links",
    "mailer",
    "rest",
    "site",
    "smtp_server",
]
