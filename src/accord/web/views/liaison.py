"""Liaison between staffs, as pages: channels, the message thread, receipts, what is
unacknowledged, the points of contact and the regular consultations.

Thin: every read and write calls `accord.cooperation.liaison`, which holds the rules
and reads through the one access rule, so a channel one's organization is not in does
not exist here either (no count, no link, 404). A form the service refuses is shown
again with its reason and what was typed; nothing is written then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from accord.cooperation import liaison
from accord.cooperation.liaison import Channel, ConsultationFields, ContactFields, Message
from accord.cooperation.liaison_ical import calendar
from accord.errors import AccordError, Forbidden, Invalid, NotFound
from accord.organizations.service import list_organizations
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from accord.web.i18n import N_
from accord.web.i18n import gettext as _
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import Item, field, org_names, redirect, safe_next, web_router

router = web_router()
MAX_NAME = 200
MAX_SUBJECT = 500
MAX_TEXT = 100_000
MAX_ATTACHMENTS = 100
MAX_DEPTH = 6  # deeper replies are shown at this indentation, still naming their parent
CALENDAR = "text/calendar; charset=utf-8"
TLPS: dict[str, Tlp] = {
    "none": Tlp.NONE,
    "clear": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
    "red": Tlp.RED,
}
CONTACT_DISTRIBUTIONS: dict[str, str] = {
    Distribution.NODE.value: N_("Every organization on this node"),
    Distribution.FEDERATION.value: N_("This node and directly connected partner nodes"),
    Distribution.OPEN.value: N_("Every connected node"),
}
AGES: dict[str, str] = {
    "PT1H": N_("1 hour"),
    "PT24H": N_("24 hours"),
    "P3D": N_("3 days"),
    "P1W": N_("1 week"),
}
FREQUENCIES: dict[str, str] = {"weekly": N_("Weekly"), "monthly": N_("Monthly")}
_PHONE = re.compile(r"^\+?[0-9 ().-]{3,50}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_STIX_ID = re.compile(
    r"^[a-z0-9][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


@dataclass(frozen=True)
class Post:
    """One message of a thread, at its place under the message it answers."""

    message: Message
    depth: int
    parent: Message | None


def _status(exc: AccordError) -> int:
    return 403 if isinstance(exc, Forbidden) else 422


def _text(value: str, limit: int, missing: str | None = None) -> str:
    """A text field; `missing` is the message when it is required and empty."""
    if missing is not None and not value:
        raise Invalid(missing)
    if len(value) > limit:
        raise Invalid(_("A text is too long: at most %(limit)s characters.") % {"limit": limit})
    return value


def _choices(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def _values(form: FormData) -> dict[str, Any]:
    """What the person typed, to fill the form again after a refusal."""
    values: dict[str, Any] = {key: field(form, key) for key in form}
    for key in ("members", "recipients", "attachments"):
        values[key] = _choices(form, key)
    return values


def _back(form: FormData, default: str) -> str:
    wanted = safe_next(field(form, "next"))
    return wanted if wanted.startswith("/liaison") else default


def _may_write(me: WebUser) -> bool:
    return me.can_publish


def _attempt(
    request: Request, action: Callable[[Session], Response], refused: Callable[[str, int], Response]
) -> Response:
    """One write; a refusal (other than "not found") writes nothing and re-renders."""
    try:
        with request.app.state.db.write() as session:
            return action(session)
    except NotFound:
        raise
    except AccordError as exc:
        return refused(exc.detail, _status(exc))


# --- channels ------------------------------------------------------------------------


def _channels_page(
    request: Request,
    me: WebUser,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.db.read() as session:
        channels = liaison.list_channels(session, me.principal)
        counts = liaison.channel_counts(session, me.principal, channels)
        others = [o for o in list_organizations(session) if o.id != me.org_id]
        names = org_names(session)
    context = {
        "channels": channels,
        "counts": counts,
        "others": others,
        "names": names,
        "tlps": TLPS,
        "may_write": _may_write(me),
        "error": error,
        "values": values or {"members": [], "tlp": "none"},
    }
    return render(request, "liaison/channels.html", context, status)


@router.get("/liaison")
def channels_page(request: Request, me: Me) -> Response:
    return _channels_page(request, me)


@router.post("/liaison/channels")
def create_channel(request: Request, me: Me) -> Response:
    form = form_of(request)

    def run(session: Session) -> Response:
        name = _text(field(form, "name"), MAX_NAME, _("Give the channel a name."))
        description = _text(field(form, "description"), MAX_TEXT)
        members = _choices(form, "members")
        if not members:
            raise Invalid(_("Choose at least one other organization."))
        tlp = TLPS.get(field(form, "tlp") or "none")
        if tlp is None:
            raise Invalid(_("Choose a TLP level from the list."))
        channel = liaison.create_channel(session, me.principal, name, members, description, tlp)
        web_session(request).flash("success", _("The channel has been opened."))
        return redirect(f"/liaison/channels/{channel.id}")

    def refused(message: str, status: int) -> Response:
        return _channels_page(request, me, message, _values(form), status)

    return _attempt(request, run, refused)


def _thread(messages: list[Message]) -> list[Post]:
    """Messages in thread order: each reply under the message it answers, oldest first."""
    by_id = {m.id: m for m in messages}
    children: dict[str | None, list[Message]] = {}
    for m in messages:
        children.setdefault(m.in_reply_to if m.in_reply_to in by_id else None, []).append(m)
    posts: list[Post] = []
    stack = [(m, 0) for m in reversed(children.get(None, []))]
    while stack:
        message, depth = stack.pop()
        parent = by_id.get(message.in_reply_to) if message.in_reply_to else None
        posts.append(Post(message, min(depth, MAX_DEPTH), parent))
        stack.extend((c, depth + 1) for c in reversed(children.get(message.id, [])))
    return posts


def _channel_page(
    request: Request,
    me: WebUser,
    channel_id: str,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    reply_to = request.query_params.get("reply", "")
    with request.app.state.db.read() as session:
        channel = liaison.get_channel(session, me.principal, channel_id)
        messages = liaison.list_messages(session, me.principal, channel.id)
        attached = [a for m in messages for a in m.attachments]
        visible = liaison.shared_objects(session, me.principal, sorted(set(attached)))
        names = org_names(session)
        shared = {row.stix_id: Item.of(row, names) for row in visible}
        member = me.org_id in channel.members
        choices = []
        if member and _may_write(me):
            choices = [Item.of(r, names) for r in liaison.shared_objects(session, me.principal)]
        consultations = liaison.list_consultations(session, me.principal, channel.id)
    if values is None:
        values = {
            "recipients": [o for o in channel.members if o != me.org_id],
            "attachments": [],
            "in_reply_to": reply_to if any(m.id == reply_to for m in messages) else "",
        }
    context = {
        "channel": channel,
        "posts": _thread(messages),
        "shared": shared,
        "names": names,
        "member": member,
        "may_write": member and _may_write(me),
        "choices": choices,
        "messages": messages,
        "consultations": consultations,
        "every": every,
        "minutes": minutes,
        "error": error,
        "values": values,
    }
    return render(request, "liaison/channel.html", context, status)


@router.get("/liaison/channels/{channel_id}")
def channel_page(request: Request, me: Me, channel_id: str) -> Response:
    return _channel_page(request, me, channel_id)


def _attachments(form: FormData) -> list[str]:
    chosen = _choices(form, "attachments")
    typed = [line.strip() for line in field(form, "other_attachments").split() if line.strip()]
    refs = list(dict.fromkeys([*chosen, *typed]))
    if len(refs) > MAX_ATTACHMENTS:
        raise Invalid(_("At most %(limit)s attachments.") % {"limit": MAX_ATTACHMENTS})
    for ref in refs:
        if not _STIX_ID.match(ref):
            raise Invalid(_("%(ref)s is not a STIX identifier (type--uuid).") % {"ref": ref})
    return refs


@router.post("/liaison/channels/{channel_id}/messages")
def post_message(request: Request, me: Me, channel_id: str) -> Response:
    form = form_of(request)

    def run(session: Session) -> Response:
        subject = _text(field(form, "subject"), MAX_SUBJECT)
        body = _text(field(form, "body"), MAX_TEXT, _("Write the message."))
        recipients = _choices(form, "recipients")
        if not recipients:
            raise Invalid(_("Choose at least one recipient."))
        message = liaison.post_message(
            session,
            me.principal,
            channel_id,
            body,
            subject,
            recipients,
            field(form, "in_reply_to") or None,
            _attachments(form),
        )
        web_session(request).flash("success", _("The message has been sent."))
        return redirect(f"/liaison/channels/{channel_id}#{message.id}")

    def refused(message: str, status: int) -> Response:
        return _channel_page(request, me, channel_id, message, _values(form), status)

    return _attempt(request, run, refused)


@router.post("/liaison/messages/{message_id}/acknowledge")
def acknowledge(request: Request, me: Me, message_id: str) -> Response:
    form = form_of(request)
    try:
        with request.app.state.db.write() as session:
            message = liaison.acknowledge(session, me.principal, message_id)
    except NotFound:
        raise
    except AccordError as exc:
        web_session(request).flash("error", exc.detail)
        return redirect(_back(form, "/liaison"))
    web_session(request).flash("success", _("Receipt acknowledged for your organization."))
    return redirect(_back(form, f"/liaison/channels/{message.channel_id}#{message.id}"))


# --- what is unacknowledged ----------------------------------------------------------


@router.get("/liaison/unacknowledged")
def unacknowledged_page(request: Request, me: Me) -> Response:
    older_than = request.query_params.get("older_than", "PT24H").strip()
    error = None
    overdue: list[Message] = []
    try:
        age = liaison.parse_duration(older_than)
    except Invalid:
        error = _("Give the time as an ISO 8601 duration, such as PT24H, P3D or P1W.")
        age = None
    with request.app.state.db.read() as session:
        if age is not None:
            overdue = liaison.unacknowledged(session, me.principal, age)
        channels = {c.id: c for c in liaison.list_channels(session, me.principal)}
        names = org_names(session)
    context = {
        "older_than": older_than,
        "ages": AGES,
        "overdue": overdue,
        "channels": channels,
        "names": names,
        "may_write": _may_write(me),
        "error": error,
    }
    return render(request, "liaison/unacknowledged.html", context, 422 if error else 200)


# --- points of contact ---------------------------------------------------------------


def _contacts_page(
    request: Request,
    me: WebUser,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    wanted = request.query_params.get("org", "")
    with request.app.state.db.read() as session:
        organizations = list_organizations(session)
        known = {o.id for o in organizations}
        chosen = wanted if wanted in known else ""
        contacts = liaison.list_contacts(session, me.principal, chosen or None)
    by_org: dict[str, list[liaison.Contact]] = {}
    for contact in contacts:
        by_org.setdefault(contact.org_id, []).append(contact)
    context = {
        "organizations": [o for o in organizations if o.id in by_org],
        "all_organizations": organizations,
        "chosen": chosen,
        "by_org": by_org,
        "distributions": CONTACT_DISTRIBUTIONS,
        "may_write": _may_write(me),
        "error": error,
        "values": values or {"distribution": Distribution.NODE.value, "published": "1"},
    }
    return render(request, "liaison/contacts.html", context, status)


@router.get("/liaison/contacts")
def contacts_page(request: Request, me: Me) -> Response:
    return _contacts_page(request, me)


@router.post("/liaison/contacts")
def add_contact(request: Request, me: Me) -> Response:
    form = form_of(request)

    def run(session: Session) -> Response:
        name = _text(field(form, "name"), MAX_NAME, _("Give the name of the point of contact."))
        function = _text(field(form, "function"), MAX_NAME, _("Give the function it holds."))
        phone = field(form, "phone") or None
        if phone is not None and not _PHONE.match(phone):
            raise Invalid(_("Give the telephone number in digits, such as +12 345 678 90."))
        email = field(form, "email") or None
        if email is not None and (len(email) > 320 or not _EMAIL.match(email)):
            raise Invalid(_("Give an e-mail address such as name@example.org."))
        wanted = field(form, "distribution")
        if wanted not in CONTACT_DISTRIBUTIONS:
            raise Invalid(_("Choose who sees the point of contact from the list."))
        liaison.add_contact(
            session,
            me.principal,
            ContactFields(name, function, phone, email),
            Distribution(wanted),
            published=field(form, "published") == "1",
        )
        web_session(request).flash("success", _("The point of contact has been added."))
        return redirect("/liaison/contacts")

    def refused(message: str, status: int) -> Response:
        return _contacts_page(request, me, message, _values(form), status)

    return _attempt(request, run, refused)


@router.post("/liaison/contacts/{contact_id}/withdraw")
def withdraw_contact(request: Request, me: Me, contact_id: str) -> Response:
    try:
        with request.app.state.db.write() as session:
            liaison.withdraw_contact(session, me.principal, contact_id)
    except NotFound:
        raise
    except AccordError as exc:
        web_session(request).flash("error", exc.detail)
        return redirect("/liaison/contacts")
    web_session(request).flash("success", _("The point of contact has been withdrawn."))
    return redirect("/liaison/contacts")


# --- regular consultations -----------------------------------------------------------


def _consultations_page(
    request: Request,
    me: WebUser,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.db.read() as session:
        channels = liaison.list_channels(session, me.principal)
        found = liaison.list_consultations(session, me.principal)
        names = org_names(session)
    own: list[Channel] = [c for c in channels if me.org_id in c.members]
    wanted = request.query_params.get("channel", "")
    context = {
        "consultations": found,
        "channels": {c.id: c for c in channels},
        "own_channels": own,
        "names": names,
        "frequencies": FREQUENCIES,
        "every": every,
        "minutes": minutes,
        "may_write": _may_write(me) and bool(own),
        "error": error,
        "values": values
        or {
            "channel": wanted,
            "frequency": "monthly",
            "interval": "1",
            "duration": "60",
            "time": "09:00",
        },
    }
    return render(request, "liaison/consultations.html", context, status)


@router.get("/liaison/consultations")
def consultations_page(request: Request, me: Me) -> Response:
    return _consultations_page(request, me)


def _moment(day: str, time: str, bad: str) -> datetime:
    try:
        return datetime.strptime(f"{day} {time or '00:00'}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(bad) from None


def _number(value: str, low: int, high: int, bad: str) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise Invalid(bad)
    return int(value)


@router.post("/liaison/consultations")
def schedule(request: Request, me: Me) -> Response:
    form = form_of(request)

    def run(session: Session) -> Response:
        channel_id = field(form, "channel")
        if not channel_id:
            raise Invalid(_("Choose the channel of the consultation."))
        start = _moment(
            field(form, "start"), field(form, "time"), _("Give the first date and time.")
        )
        until_text = field(form, "until")
        until = None
        if until_text:
            until = _moment(until_text, "23:59", _("Give the last date as a date."))
            if until < start:
                raise Invalid(_("The last date comes before the first."))
        frequency = field(form, "frequency")
        if frequency not in FREQUENCIES:
            raise Invalid(_("Choose weekly or monthly."))
        fields = ConsultationFields(
            name=_text(field(form, "name"), MAX_NAME, _("Give the consultation a name.")),
            start_time=start,
            duration_minutes=_number(
                field(form, "duration"), 1, 1440, _("The length is 1 to 1440 minutes.")
            ),
            frequency=frequency,
            interval=_number(field(form, "interval"), 1, 52, _("Repeat every 1 to 52 periods.")),
            until=until,
            description=_text(field(form, "description"), MAX_TEXT),
            location=_text(field(form, "location"), MAX_SUBJECT) or None,
        )
        liaison.schedule_consultation(session, me.principal, channel_id, fields)
        web_session(request).flash("success", _("The consultation has been scheduled."))
        return redirect("/liaison/consultations")

    def refused(message: str, status: int) -> Response:
        return _consultations_page(request, me, message, _values(form), status)

    return _attempt(request, run, refused)


def _ics(request: Request, me: WebUser, channel_id: str | None) -> Response:
    with request.app.state.db.read() as session:
        found = liaison.list_consultations(session, me.principal, channel_id)
        orgs = {org for c in found for org in c.participants}
        text = calendar(found, liaison.organization_names(session, orgs))
    return Response(content=text.encode("utf-8"), media_type=CALENDAR)


@router.get("/liaison/consultations.ics")
def consultations_ics(request: Request, me: Me) -> Response:
    return _ics(request, me, None)


@router.get("/liaison/channels/{channel_id}/consultations.ics")
def channel_consultations_ics(request: Request, me: Me, channel_id: str) -> Response:
    return _ics(request, me, channel_id)


def every(frequency: str, interval: int) -> str:
    """How often a consultation recurs, in words."""
    if interval == 1:
        return _("Weekly") if frequency == "weekly" else _("Monthly")
    if frequency == "weekly":
        return _("Every %(n)s weeks") % {"n": interval}
    return _("Every %(n)s months") % {"n": interval}


def minutes(duration: timedelta) -> int:
    return int(duration.total_seconds()) // 60
