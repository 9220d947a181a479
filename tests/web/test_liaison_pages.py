"""Liaison pages over HTTP: two staffs open a channel, exchange, reply and acknowledge;
bad input is shown again with its reason and writes nothing; an organization outside a
channel sees no trace of it; points of contact and consultations; CSRF and labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape

import pytest
from sqlalchemy import func, select

from accord.db import Database
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from tests.factories import Account, World, indicator
from tests.web.conftest import WebServer
from tests.web.support import Browser, Fields

_CHANNEL = re.compile(r"/liaison/channels/(x-accord-channel--[0-9a-f-]+)")
LIAISON = (
    "x-accord-channel",
    "x-accord-message",
    "x-accord-receipt",
    "x-accord-contact",
    "x-accord-consultation",
)


@dataclass
class Staffs:
    a_org: Organization
    b_org: Organization
    c_org: Organization  # outside every channel unless a test adds it
    a: Account
    b: Account
    c: Account
    b_observer: Account


@pytest.fixture
def staffs(world: World) -> Staffs:
    a_org = world.org("General Staff of Aldoria")
    b_org = world.org("General Staff of Belvania")
    c_org = world.org("Defence Staff of Corvana")
    return Staffs(
        a_org,
        b_org,
        c_org,
        world.account(a_org),
        world.account(b_org),
        world.account(c_org),
        world.account(b_org, Role.OBSERVER),
    )


@pytest.fixture
def people() -> Iterator[list[Browser]]:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.close()


def person(server: WebServer, account: Account, opened: list[Browser]) -> Browser:
    browser = Browser(server.url, **{"Accept-Language": "en"})
    opened.append(browser)
    assert browser.sign_in(account.user.email).status_code == 303
    browser.get("/liaison")
    return browser


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def stored(db: Database, *types: str) -> int:
    with db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(StixObject).where(StixObject.type.in_(types))
        )
    return int(count or 0)


def groups(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(SharingGroup)) or 0)


def open_channel(who: Browser, name: str, *members: str, tlp: str = "amber") -> str:
    made = who.post("/liaison/channels", {"name": name, "members": list(members), "tlp": tlp})
    assert made.status_code == 303, text_of(made.text)
    found = _CHANNEL.search(made.headers["location"])
    assert found is not None
    return found.group(1)


def send(who: Browser, channel: str, body: str, *recipients: str, **extra: object) -> str:
    sent = who.post(
        f"/liaison/channels/{channel}/messages",
        {"body": body, "recipients": list(recipients), **extra},
    )
    assert sent.status_code == 303, text_of(sent.text)
    return str(sent.headers["location"]).rsplit("#", 1)[1]


def test_two_staffs_exchange_reply_and_acknowledge(
    web: WebServer, world: World, staffs: Staffs, people: list[Browser]
) -> None:
    a, b = person(web, staffs.a, people), person(web, staffs.b, people)
    assert "Your organization takes part in no liaison channel yet." in text_of(
        b.get("/liaison").text
    )
    channel = open_channel(a, "Border staff talks", staffs.b_org.id)
    page = text_of(a.get(f"/liaison/channels/{channel}").text)
    assert "The channel has been opened." in page
    assert "General Staff of Aldoria, General Staff of Belvania" in page
    assert "TLP:AMBER" in page

    shared = indicator("203.0.113.9")
    assert world.ingest(staffs.a, shared, distribution=Distribution.NODE).ok
    assert shared["id"] in a.get(f"/liaison/channels/{channel}").text  # offered to attach
    message = send(
        a,
        channel,
        "Please confirm the exercise dates.",
        staffs.b_org.id,
        subject="Exercise dates",
        attachments=shared["id"],
    )

    listing = text_of(b.get("/liaison").text)
    assert (
        "Border staff talks General Staff of Aldoria, General Staff of Belvania TLP:AMBER 1 1 0"
        in (listing)
    )
    assert "TLP:AMBER 1 0 1" in text_of(a.get("/liaison").text)
    thread = b.get(f"/liaison/channels/{channel}").text
    assert "General Staff of Belvania: not acknowledged" in text_of(thread)
    assert f'action="/liaison/messages/{message}/acknowledge"' in thread
    assert f'href="/objects/{shared["id"]}"' in thread  # the attachment B may see
    assert "Suspicious address 203.0.113.9" in text_of(thread)
    due = text_of(b.get("/liaison/unacknowledged", params={"older_than": "PT0S"}).text)
    assert "Exercise dates Border staff talks General Staff of Aldoria" in due
    later = text_of(b.get("/liaison/unacknowledged", params={"older_than": "PT24H"}).text)
    assert "Nothing is waiting for an acknowledgement." in later

    reply = send(
        b,
        channel,
        "Confirmed: 14 to 16 April.",
        staffs.a_org.id,
        subject="Re: Exercise dates",
        in_reply_to=message,
    )
    acked = b.post(f"/liaison/messages/{message}/acknowledge")
    assert acked.status_code == 303
    assert "Receipt acknowledged for your organization." in b.get(acked.headers["location"]).text
    again = b.post(f"/liaison/messages/{message}/acknowledge")  # a second time changes nothing
    assert again.status_code == 303
    assert stored(web.db, "x-accord-receipt") == 1

    seen = a.get(f"/liaison/channels/{channel}").text
    assert "General Staff of Belvania: acknowledged" in text_of(seen)
    assert f'class="message depth-1" id="{reply}"' in seen
    assert f'In reply to <a href="#{message}">Exercise dates</a>' in seen
    assert seen.index(f'id="{message}"') < seen.index(f'id="{reply}"')
    assert f'action="/liaison/messages/{reply}/acknowledge"' in seen
    assert "TLP:AMBER 2 1 0" in text_of(a.get("/liaison").text)
    assert "TLP:AMBER 2 0 1" in text_of(b.get("/liaison").text)


def test_bad_input_is_shown_again_and_nothing_is_written(
    web: WebServer, world: World, staffs: Staffs, people: list[Browser]
) -> None:
    a = person(web, staffs.a, people)
    before = groups(web.db)
    for form, reason in [
        ({"name": " ", "members": [staffs.b_org.id]}, "Give the channel a name."),
        ({"name": "Talks"}, "Choose at least one other organization."),
        ({"name": "Talks", "members": ["Nobody"]}, "unknown organization 'Nobody'"),
        ({"name": "Talks", "members": [staffs.b_org.id], "tlp": "purple"}, "Choose a TLP level"),
        ({"name": "Talks", "members": [staffs.a_org.id]}, "at least one other"),
    ]:
        refused = a.post("/liaison/channels", form)
        assert refused.status_code == 422, form
        shown = text_of(refused.text)
        assert reason in shown, (form, shown)
        assert 'value="Talks"' in refused.text or form["name"] == " "  # typed text kept
    assert stored(web.db, *LIAISON) == 0
    assert groups(web.db) == before  # the channel's group was not made either

    channel = open_channel(a, "Talks", staffs.b_org.id)
    hidden = indicator()
    assert world.ingest(staffs.c, hidden, distribution=Distribution.ORG).ok
    messages = f"/liaison/channels/{channel}/messages"
    for form, reason in [
        ({"body": "", "recipients": staffs.b_org.id}, "Write the message."),
        ({"body": "Hi"}, "Choose at least one recipient."),
        (
            {"body": "Hi", "recipients": staffs.c_org.id},
            "Defence Staff of Corvana is not a member of this channel",
        ),
        (
            {"body": "Hi", "recipients": staffs.b_org.id, "other_attachments": "not-an-id"},
            "not-an-id is not a STIX identifier",
        ),
        (
            {"body": "Hi", "recipients": staffs.b_org.id, "attachments": hidden["id"]},
            f"unknown attachment {hidden['id']}",
        ),
    ]:
        refused = a.post(messages, form)
        assert refused.status_code == 422, form
        assert reason in text_of(refused.text), form
        assert f'<textarea id="message-body" name="body" required>{form["body"]}</textarea>' in (
            refused.text
        )
    assert stored(web.db, "x-accord-message") == 0

    contact = {"name": "Col. Verin", "function": "Liaison officer", "distribution": "node"}
    for form, reason in [
        ({**contact, "phone": "call me"}, "Give the telephone number in digits"),
        ({**contact, "email": "nobody"}, "Give an e-mail address"),
        ({**contact, "name": ""}, "Give the name of the point of contact."),
        ({**contact, "distribution": "org"}, "Choose who sees the point of contact"),
    ]:
        refused = a.post("/liaison/contacts", form)
        assert refused.status_code == 422, form
        assert reason in text_of(refused.text), form
    consultation = {
        "channel": channel,
        "name": "Monthly staff talks",
        "start": "2026-05-04",
        "time": "09:00",
        "duration": "90",
        "frequency": "monthly",
        "interval": "1",
    }
    for form, reason in [
        ({**consultation, "until": "2026-05-01"}, "The last date comes before the first."),
        ({**consultation, "start": "soon"}, "Give the first date and time."),
        ({**consultation, "duration": "0"}, "The length is 1 to 1440 minutes."),
        ({**consultation, "frequency": "daily"}, "Choose weekly or monthly."),
        ({**consultation, "name": ""}, "Give the consultation a name."),
    ]:
        refused = a.post("/liaison/consultations", form)
        assert refused.status_code == 422, form
        assert reason in text_of(refused.text), form
        assert 'value="2026-05-04"' in refused.text or form["start"] == "soon"
    assert stored(web.db, "x-accord-contact", "x-accord-consultation") == 0
    bad_age = a.get("/liaison/unacknowledged", params={"older_than": "yesterday"})
    assert bad_age.status_code == 422
    assert "Give the time as an ISO 8601 duration" in text_of(bad_age.text)


def test_an_organization_outside_a_channel_sees_no_trace_of_it(
    web: WebServer, staffs: Staffs, people: list[Browser]
) -> None:
    a, c = person(web, staffs.a, people), person(web, staffs.c, people)
    channel = open_channel(a, "Aldoria-Belvania only", staffs.b_org.id)
    message = send(a, channel, "For Belvania", staffs.b_org.id, subject="Secret dates")
    a.post(
        "/liaison/consultations",
        {
            "channel": channel,
            "name": "Weekly call",
            "start": "2026-05-04",
            "time": "09:00",
            "duration": "30",
            "frequency": "weekly",
            "interval": "1",
        },
    )
    assert stored(web.db, "x-accord-consultation") == 1
    written = stored(web.db, *LIAISON)

    for path in ["/liaison", "/liaison/consultations", "/liaison/consultations.ics"]:
        page = c.get(path)
        assert page.status_code == 200
        for trace in (channel, message, "Aldoria-Belvania only", "Secret dates", "Weekly call"):
            assert trace not in page.text, (path, trace)
    assert "Your organization takes part in no liaison channel yet." in text_of(
        c.get("/liaison").text
    )
    due = c.get("/liaison/unacknowledged", params={"older_than": "PT0S"})
    assert "(0)" in text_of(due.text)
    assert message not in due.text
    for path in [f"/liaison/channels/{channel}", f"/liaison/channels/{channel}/consultations.ics"]:
        assert c.get(path).status_code == 404, path
    assert (
        c.post(
            f"/liaison/channels/{channel}/messages",
            {"body": "Hello", "recipients": staffs.a_org.id},
        ).status_code
        == 404
    )
    assert c.post(f"/liaison/messages/{message}/acknowledge").status_code == 404
    assert stored(web.db, *LIAISON) == written


def test_observers_read_and_never_write(
    web: WebServer, staffs: Staffs, people: list[Browser]
) -> None:
    a, observer = person(web, staffs.a, people), person(web, staffs.b_observer, people)
    channel = open_channel(a, "Talks", staffs.b_org.id)
    message = send(a, channel, "Read this", staffs.b_org.id)
    page = observer.get(f"/liaison/channels/{channel}").text
    assert "Read this" in page
    assert "Send a message" not in page
    assert "/acknowledge" not in page
    assert "Open a channel" not in observer.get("/liaison").text
    refused = observer.post(
        f"/liaison/channels/{channel}/messages", {"body": "Sneaked", "recipients": staffs.a_org.id}
    )
    assert refused.status_code == 403
    assert "your role may not write in liaison" in text_of(refused.text)
    observer.post(f"/liaison/messages/{message}/acknowledge")
    assert "your role may not write in liaison" in text_of(observer.get("/liaison").text)
    assert stored(web.db, "x-accord-message") == 1
    assert stored(web.db, "x-accord-receipt") == 0


def test_points_of_contact_as_the_rule_allows(
    web: WebServer, staffs: Staffs, people: list[Browser]
) -> None:
    a, b = person(web, staffs.a, people), person(web, staffs.b, people)
    base = {"function": "Liaison officer", "distribution": "node"}
    added = a.post(
        "/liaison/contacts",
        {**base, "name": "Col. Anna Verin", "phone": "+10 555 0100", "published": "1"},
    )
    assert added.status_code == 303
    a.post("/liaison/contacts", {**base, "name": "Maj. Draft Only"})  # not published
    own = text_of(a.get("/liaison/contacts").text)
    assert "Col. Anna Verin Liaison officer +10 555 0100" in own
    assert "Maj. Draft Only Draft" in own
    theirs = b.get("/liaison/contacts", params={"org": staffs.a_org.id})
    assert "Col. Anna Verin" in theirs.text
    assert "Maj. Draft Only" not in theirs.text
    assert "/withdraw" not in theirs.text  # B is offered no withdrawal of A's contacts
    assert staffs.a.user.email not in theirs.text  # no list of A's users

    with web.db.read() as session:
        contact_id = session.scalars(
            select(StixObject.stix_id).where(
                StixObject.type == "x-accord-contact", StixObject.published.is_(True)
            )
        ).first()
    assert contact_id is not None
    versions = stored(web.db, "x-accord-contact")
    b.post(f"/liaison/contacts/{contact_id}/withdraw")
    assert "an organization withdraws only its own points of contact" in text_of(
        b.get("/liaison/contacts").text
    )
    assert stored(web.db, "x-accord-contact") == versions
    page = a.get("/liaison/contacts").text
    withdrawable = re.findall(r"/liaison/contacts/(x-accord-contact--[0-9a-f-]+)/withdraw", page)
    assert len(withdrawable) == 2
    for found in withdrawable:
        assert a.post(f"/liaison/contacts/{found}/withdraw").status_code == 303
    assert "No points of contact are published." in text_of(b.get("/liaison/contacts").text)
    assert "Col. Anna Verin" not in a.get("/liaison/contacts").text


def test_consultations_are_scheduled_and_exported(
    web: WebServer, staffs: Staffs, people: list[Browser]
) -> None:
    a, b = person(web, staffs.a, people), person(web, staffs.b, people)
    channel = open_channel(a, "Talks", staffs.b_org.id)
    form = b.get("/liaison/consultations", params={"channel": channel}).text
    assert f'<option value="{channel}" selected>' in form
    made = b.post(
        "/liaison/consultations",
        {
            "channel": channel,
            "name": "Monthly staff talks",
            "start": "2026-05-04",
            "time": "09:30",
            "duration": "90",
            "frequency": "monthly",
            "interval": "2",
            "until": "2026-12-31",
            "location": "Lake Verin",
        },
    )
    assert made.status_code == 303
    listing = text_of(a.get("/liaison/consultations").text)
    assert "Monthly staff talks Talks" in listing
    assert "Every 2 months" in listing
    assert "Lake Verin General Staff of Aldoria, General Staff of Belvania" in listing
    assert 'href="/liaison/consultations.ics"' in a.get("/liaison/consultations").text
    assert "Monthly staff talks" in text_of(a.get(f"/liaison/channels/{channel}").text)
    for path in ["/liaison/consultations.ics", f"/liaison/channels/{channel}/consultations.ics"]:
        ics = a.get(path)
        assert ics.status_code == 200
        assert ics.headers["content-type"].startswith("text/calendar")
        assert "SUMMARY:Monthly staff talks" in ics.text
        assert "RRULE:FREQ=MONTHLY;INTERVAL=2;UNTIL=20261231T235900Z" in ics.text
        assert "DTSTART:20260504T093000Z" in ics.text


def test_every_form_needs_the_csrf_token(
    web: WebServer, staffs: Staffs, people: list[Browser]
) -> None:
    a = person(web, staffs.a, people)
    channel = open_channel(a, "Talks", staffs.b_org.id)
    message = send(a, channel, "Hello", staffs.b_org.id)
    before = stored(web.db, *LIAISON)
    for path, form in [
        ("/liaison/channels", {"name": "Forged", "members": staffs.b_org.id}),
        (
            f"/liaison/channels/{channel}/messages",
            {"body": "Forged", "recipients": staffs.b_org.id},
        ),
        (f"/liaison/messages/{message}/acknowledge", {}),
        ("/liaison/contacts", {"name": "Forged", "function": "x", "distribution": "node"}),
        ("/liaison/consultations", {"channel": channel, "name": "Forged"}),
    ]:
        assert a.post(path, form, token=False).status_code == 403, path
    assert stored(web.db, *LIAISON) == before
    page = a.get(f"/liaison/channels/{channel}").text
    assert page.count('name="csrf_token"') >= 3  # the post form, Sign out, the language


def test_every_field_is_labelled_and_the_nav_links_liaison(
    web: WebServer, staffs: Staffs, people: list[Browser]
) -> None:
    a = person(web, staffs.a, people)
    channel = open_channel(a, "Talks", staffs.b_org.id)
    send(a, channel, "Hello", staffs.b_org.id)
    assert '<a href="/liaison" aria-current="page">Liaison</a>' in a.get("/liaison").text
    for path in [
        "/liaison",
        f"/liaison/channels/{channel}",
        "/liaison/unacknowledged",
        "/liaison/contacts",
        "/liaison/consultations",
    ]:
        fields = Fields()
        fields.feed(a.get(path).text)
        assert fields.controls, path
        assert fields.unlabelled() == [], path


@pytest.mark.parametrize(
    ("language", "heading", "button"),
    [("ru", "Каналы связи", "Открыть канал"), ("zh", "联络渠道", "开设渠道")],
)
def test_the_pages_speak_the_readers_language(
    web: WebServer, staffs: Staffs, language: str, heading: str, button: str
) -> None:
    reader = Browser(web.url, **{"Accept-Language": language})
    try:
        reader.sign_in(staffs.a.user.email)
        html = reader.get("/liaison").text
        assert heading in text_of(html)
        assert button in html
    finally:
        reader.close()
