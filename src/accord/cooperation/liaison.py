"""Liaison between staffs: channels, threaded messages, receipts, contacts, consultations.

Every item is a STIX object written through the one ingest path, as its organization:
a channel (`x-accord-channel`) is shared, with distribution `group`, with a sharing
group made for it whose members are exactly the channel's organizations, so the
ordinary access rule decides who sees it and federation carries it to remote members'
nodes. Messages (`x-accord-message`), acknowledgements of receipt (`x-accord-receipt`)
and regular consultations (`x-accord-consultation`) carry the channel's group and TLP.
Points of contact (`x-accord-contact`) are published by their organization as it
chooses; others see what the rule lets them see, never a list of its users. Every read
goes through `visible_to` and `latest_for`: what one cannot see does not exist.
Only this module writes liaison objects (`write_guard`, in accord.intel.guards' table,
refuses them on every other write path), so no one bypasses a channel's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.cooperation.content import (
    current,
    mentioning,
    new_object,
    org_of,
    resolve_orgs,
    stamp,
    stix_of,
    write_one,
)
from accord.cooperation.types import (
    CHANNEL,
    CONSULTATION,
    CONTACT,
    MESSAGE,
    RECEIPT,
)
from accord.db.base import utcnow
from accord.errors import Forbidden, Invalid, NotFound
from accord.intel import timestamps
from accord.intel.guards import WriteContext
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.rules import can_create, latest_for, visible_to
from accord.sharing.service import create_group
from accord.sharing.tlp import Tlp

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W|(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?)$"
)


# --- what the service returns ------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    description: str
    owner: str
    members: list[str]
    sharing_group: str
    tlp: Tlp
    created: str


@dataclass(frozen=True)
class Receipt:
    org_id: str
    acknowledged_at: str


@dataclass
class Message:
    id: str
    channel_id: str
    sender: str
    subject: str
    body: str
    recipients: list[str]
    in_reply_to: str | None
    attachments: list[str]
    created: str
    receipts: dict[str, Receipt] = field(default_factory=dict)

    @property
    def unacknowledged(self) -> list[str]:
        return [org for org in self.recipients if org not in self.receipts]


@dataclass(frozen=True)
class Contact:
    id: str
    org_id: str
    name: str
    function: str
    phone: str | None
    email: str | None
    distribution: str
    published: bool


@dataclass(frozen=True)
class Consultation:
    id: str
    channel_id: str
    name: str
    description: str
    start_time: datetime
    duration: timedelta
    frequency: str
    interval: int
    until: datetime | None
    location: str | None
    participants: list[str]
    modified: datetime


@dataclass(frozen=True)
class ContactFields:
    name: str
    function: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ConsultationFields:
    name: str
    start_time: datetime
    duration_minutes: int
    frequency: str
    interval: int = 1
    until: datetime | None = None
    description: str = ""
    location: str | None = None
    participants: list[str] | None = None


# --- shared helpers ----------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration in weeks, or days, hours, minutes and seconds (PT24H, P1DT6H)."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise Invalid(f"{text!r} is not an ISO 8601 duration such as PT24H, P2D or P1W")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(**parts)


def _require_writer(principal: Principal) -> None:
    if not principal.is_user or principal.org_id is None:
        raise Forbidden("only users of an organization take part in liaison")
    if not can_create(principal, published=True):
        raise Forbidden("your role may not write in liaison: an analyst of your organization may")


def _audit(session: Session, principal: Principal, action: str, target: str, **detail: Any) -> None:
    append(session, principal.actor, f"liaison.{action}", target, detail or None)


def _write(
    session: Session, writer: Principal, obj: dict[str, Any], published: bool = True
) -> None:
    """Every liaison object is written here, after this module has checked its rules."""
    write_one(session, writer, obj, published=published, by_module=True)


LIAISON_TYPES = (CHANNEL, MESSAGE, RECEIPT, CONTACT, CONSULTATION)


def write_guard(context: WriteContext, obj: dict[str, Any]) -> str | None:
    """accord.intel.guards: liaison objects are written by this module alone, whose
    functions check the channel's rules (members, recipients, receipts, owners); every
    other write path (REST objects, TAXII, forms, import) is refused."""
    if context.by_module:
        return None
    return f"{obj.get('type')} objects are written through /api/v1/liaison"


# --- channels ----------------------------------------------------------------------------


def _channel(row: StixObject) -> Channel:
    obj = stix_of(row)
    assert row.sharing_group_id is not None  # channels are always shared with their group
    return Channel(
        id=row.stix_id,
        name=obj["name"],
        description=obj.get("description", ""),
        owner=row.owner_org_id,
        members=[org_of(r) for r in obj["member_refs"]],
        sharing_group=row.sharing_group_id,
        tlp=Tlp(row.tlp),
        created=obj["created"],
    )


def create_channel(
    session: Session,
    principal: Principal,
    name: str,
    members: list[str],
    description: str = "",
    tlp: Tlp = Tlp.NONE,
) -> Channel:
    """A channel between the caller's organization and `members` (names or UUIDs), with
    a sharing group made for it holding exactly those organizations."""
    _require_writer(principal)
    own = session.get(Organization, principal.org_id)
    assert own is not None
    others = [org for org in resolve_orgs(session, members) if org.id != own.id]
    if not others:
        raise Invalid("a channel links your organization with at least one other")
    group = create_group(
        session,
        principal.actor,
        f"Liaison: {name}"[:200],
        own,
        others,
        description="made for a liaison channel; its members are the channel's organizations",
    )
    writer = replace(principal, group_ids=principal.group_ids | {group.id})
    marking = tlp.marking_id
    obj = new_object(CHANNEL, writer, Distribution.GROUP, group.id, [marking] if marking else None)
    obj.update(name=name, member_refs=[org.identity_id for org in [own, *others]])
    if description:
        obj["description"] = description
    _write(session, writer, obj)
    _audit(session, principal, "channel.create", obj["id"], group=group.id)
    return get_channel(session, writer, obj["id"])


def channel_row(session: Session, principal: Principal, channel_id: str) -> StixObject:
    row = session.scalars(
        current(principal, CHANNEL).where(StixObject.stix_id == channel_id)
    ).first()
    if row is None:
        raise NotFound(f"no liaison channel {channel_id}")
    return row


def get_channel(session: Session, principal: Principal, channel_id: str) -> Channel:
    return _channel(channel_row(session, principal, channel_id))


def list_channels(session: Session, principal: Principal) -> list[Channel]:
    rows = session.scalars(current(principal, CHANNEL))
    return sorted(map(_channel, rows), key=lambda c: (c.name, c.id))


def _member_channel(session: Session, principal: Principal, channel_id: str) -> Channel:
    """A channel the caller sees and whose member organization it writes for."""
    channel = get_channel(session, principal, channel_id)
    _require_writer(principal)
    if principal.org_id not in channel.members:
        raise Forbidden("only the channel's member organizations write in it")
    return channel


def _in_channel(principal: Principal, channel: Channel, stix_type: str) -> dict[str, Any]:
    """A new object of the caller's organization, shared as the channel is."""
    marking = channel.tlp.marking_id
    return new_object(
        stix_type,
        principal,
        Distribution.GROUP,
        channel.sharing_group,
        [marking] if marking else None,
    )


# --- messages ----------------------------------------------------------------------------


def _message(row: StixObject) -> Message:
    obj = stix_of(row)
    return Message(
        id=row.stix_id,
        channel_id=obj["channel_ref"],
        sender=row.owner_org_id,
        subject=obj.get("subject", ""),
        body=obj["content"],
        recipients=[org_of(r) for r in obj["recipient_refs"]],
        in_reply_to=obj.get("in_reply_to_ref"),
        attachments=list(obj.get("attachment_refs", ())),
        created=obj["created"],
    )


def _recipients(
    session: Session, principal: Principal, channel: Channel, wanted: list[str] | None
) -> list[str]:
    if wanted is None:
        return [org for org in channel.members if org != principal.org_id]
    orgs = resolve_orgs(session, wanted)
    for org in orgs:
        if org.id == principal.org_id:
            raise Invalid("your own organization is the sender, not a recipient")
        if org.id not in channel.members:
            raise Invalid(f"{org.name} is not a member of this channel")
    if not orgs:
        raise Invalid("a message has at least one recipient")
    return [org.id for org in orgs]


def _check_attachments(session: Session, principal: Principal, refs: list[str]) -> None:
    """Attachments are shared objects the sender sees; others do not exist for them."""
    if len(set(refs)) != len(refs):
        raise Invalid("an attachment is given once")
    o = StixObject
    seen = set(
        session.scalars(
            select(o.stix_id).where(
                o.stix_id.in_(refs),
                o.revoked.is_(False),
                visible_to(principal),
                latest_for(principal),
            )
        )
    )
    for ref in refs:
        if ref not in seen:
            raise Invalid(f"unknown attachment {ref}")


def post_message(
    session: Session,
    principal: Principal,
    channel_id: str,
    body: str,
    subject: str = "",
    recipients: list[str] | None = None,
    in_reply_to: str | None = None,
    attachments: list[str] | None = None,
) -> Message:
    """A message in a channel, to all its other members unless `recipients` narrows it."""
    channel = _member_channel(session, principal, channel_id)
    to = _recipients(session, principal, channel, recipients)
    if in_reply_to is not None:
        parent = get_message(session, principal, in_reply_to)
        if parent.channel_id != channel.id:
            raise Invalid("a reply stays in the channel of the message it answers")
    _check_attachments(session, principal, attachments or [])
    obj = _in_channel(principal, channel, MESSAGE)
    obj.update(
        channel_ref=channel.id,
        content=body,
        recipient_refs=[f"identity--{org}" for org in to],
    )
    if subject:
        obj["subject"] = subject
    if in_reply_to is not None:
        obj["in_reply_to_ref"] = in_reply_to
    if attachments:
        obj["attachment_refs"] = attachments
    _write(session, principal, obj)
    _audit(session, principal, "message.post", obj["id"], channel=channel.id)
    return get_message(session, principal, obj["id"])


def _message_row(session: Session, principal: Principal, message_id: str) -> StixObject:
    row = session.scalars(
        current(principal, MESSAGE).where(StixObject.stix_id == message_id)
    ).first()
    if row is None or "channel_ref" not in stix_of(row):
        raise NotFound(f"no liaison message {message_id}")
    return row


def _with_receipts(session: Session, principal: Principal, messages: list[Message]) -> None:
    """Fill each message's receipts: the first acknowledgement of each recipient."""
    by_id = {m.id: m for m in messages}
    channels = sorted({m.channel_id for m in messages})
    for channel_id in channels:
        rows = session.scalars(
            mentioning(principal, RECEIPT, channel_id).order_by(StixObject.created)
        )
        for row in rows:
            obj = stix_of(row)
            message = by_id.get(obj["message_ref"])
            org = row.owner_org_id
            if message is not None and org in message.recipients and org not in message.receipts:
                message.receipts[org] = Receipt(org, obj["created"])


def get_message(session: Session, principal: Principal, message_id: str) -> Message:
    message = _message(_message_row(session, principal, message_id))
    _with_receipts(session, principal, [message])
    return message


def list_messages(session: Session, principal: Principal, channel_id: str) -> list[Message]:
    """The channel's messages the caller sees, oldest first (replies name their parent)."""
    channel = get_channel(session, principal, channel_id)
    rows = session.scalars(mentioning(principal, MESSAGE, channel.id))
    messages = [_message(row) for row in rows if stix_of(row).get("channel_ref") == channel.id]
    messages.sort(key=lambda m: (m.created, m.id))
    _with_receipts(session, principal, messages)
    return messages


def acknowledge(session: Session, principal: Principal, message_id: str) -> Message:
    """The caller's organization acknowledges receipt (once; again changes nothing)."""
    message = get_message(session, principal, message_id)
    _require_writer(principal)
    if principal.org_id not in message.recipients:
        raise Forbidden("your organization is not a recipient of this message")
    if principal.org_id in message.receipts:
        return message
    channel = get_channel(session, principal, message.channel_id)
    obj = _in_channel(principal, channel, RECEIPT)
    obj.update(message_ref=message.id, channel_ref=channel.id)
    _write(session, principal, obj)
    _audit(session, principal, "message.acknowledge", message.id, receipt=obj["id"])
    return get_message(session, principal, message_id)


def unacknowledged(
    session: Session, principal: Principal, older_than: timedelta, channel_id: str | None = None
) -> list[Message]:
    """Messages the caller sees that some recipient has not acknowledged within
    `older_than` of their sending, oldest first."""
    if channel_id is not None:
        channels = [get_channel(session, principal, channel_id)]
    else:
        channels = list_channels(session, principal)
    cutoff = utcnow() - older_than
    overdue = [
        m
        for channel in channels
        for m in list_messages(session, principal, channel.id)
        if m.unacknowledged and timestamps.parse(m.created) <= cutoff
    ]
    return sorted(overdue, key=lambda m: (m.created, m.id))


@dataclass(frozen=True)
class ChannelCounts:
    """A channel's messages as the caller's organization reads them."""

    messages: int
    awaiting_us: int  # addressed to the caller's organization, not acknowledged by it
    awaiting_them: int  # sent by the caller's organization, some recipient has not acknowledged


def channel_counts(
    session: Session, principal: Principal, channels: list[Channel]
) -> dict[str, ChannelCounts]:
    """Per channel the caller sees, counted over the messages the caller sees."""
    counts: dict[str, ChannelCounts] = {}
    for channel in channels:
        messages = list_messages(session, principal, channel.id)
        counts[channel.id] = ChannelCounts(
            len(messages),
            sum(principal.org_id in m.unacknowledged for m in messages),
            sum(m.sender == principal.org_id and bool(m.unacknowledged) for m in messages),
        )
    return counts


def shared_objects(
    session: Session, principal: Principal, ids: list[str] | None = None, limit: int = 50
) -> list[StixObject]:
    """Current shared objects the caller sees that a message may attach: the given ids,
    or the newest `limit` (liaison's own objects, identities and markings aside)."""
    o = StixObject
    query = select(o).where(
        o.revoked.is_(False),
        visible_to(principal),
        latest_for(principal),
        o.type.not_in([*LIAISON_TYPES, "identity", "marking-definition"]),
    )
    if ids is not None:
        return list(session.scalars(query.where(o.stix_id.in_(ids)))) if ids else []
    return list(session.scalars(query.order_by(o.date_added.desc()).limit(limit)))


# --- points of contact -------------------------------------------------------------------


def _contact(row: StixObject) -> Contact:
    obj = stix_of(row)
    return Contact(
        id=row.stix_id,
        org_id=row.owner_org_id,
        name=obj["name"],
        function=obj["function"],
        phone=obj.get("phone"),
        email=obj.get("email"),
        distribution=row.distribution,
        published=row.published,
    )


def add_contact(
    session: Session,
    principal: Principal,
    fields: ContactFields,
    distribution: Distribution = Distribution.NODE,
    published: bool = True,
) -> Contact:
    """A point of contact of the caller's organization; a draft stays within it."""
    _require_writer(principal)
    if distribution is Distribution.GROUP:
        raise Invalid("points of contact are published to the node, the federation or openly")
    obj = new_object(CONTACT, principal, distribution)
    obj.update(name=fields.name, function=fields.function)
    if fields.phone:
        obj["phone"] = fields.phone
    if fields.email:
        obj["email"] = fields.email
    _write(session, principal, obj, published=published)
    _audit(session, principal, "contact.add", obj["id"])
    return _contact(_contact_row(session, principal, obj["id"]))


def _contact_row(session: Session, principal: Principal, contact_id: str) -> StixObject:
    row = session.scalars(
        current(principal, CONTACT).where(StixObject.stix_id == contact_id)
    ).first()
    if row is None:
        raise NotFound(f"no point of contact {contact_id}")
    return row


def list_contacts(session: Session, principal: Principal, org: str | None = None) -> list[Contact]:
    """The points of contact the caller sees, of one organization (name or UUID) or all."""
    query = current(principal, CONTACT)
    if org is not None:
        query = query.where(StixObject.owner_org_id == resolve_orgs(session, [org])[0].id)
    return sorted(map(_contact, session.scalars(query)), key=lambda c: (c.org_id, c.name, c.id))


def withdraw_contact(session: Session, principal: Principal, contact_id: str) -> None:
    """Revoke one of the caller's organization's points of contact (a new version)."""
    row = _contact_row(session, principal, contact_id)
    _require_writer(principal)
    if row.owner_org_id != principal.org_id:
        raise Forbidden("an organization withdraws only its own points of contact")
    obj = stix_of(row)
    previous = timestamps.parse(obj["modified"])
    obj["modified"] = stamp(max(utcnow(), previous + timedelta(milliseconds=1)))
    obj["revoked"] = True
    _write(session, principal, obj, published=row.published)
    _audit(session, principal, "contact.withdraw", contact_id)


# --- regular consultations ---------------------------------------------------------------


def _consultation(row: StixObject) -> Consultation:
    obj = stix_of(row)
    return Consultation(
        id=row.stix_id,
        channel_id=obj["channel_ref"],
        name=obj["name"],
        description=obj.get("description", ""),
        start_time=timestamps.parse(obj["start_time"]),
        duration=timedelta(minutes=obj["duration_minutes"]),
        frequency=obj["frequency"],
        interval=obj["interval"],
        until=timestamps.parse(obj["until"]) if "until" in obj else None,
        location=obj.get("location"),
        participants=[org_of(r) for r in obj.get("participant_refs", ())],
        modified=timestamps.parse(obj["modified"]),
    )


def schedule_consultation(
    session: Session, principal: Principal, channel_id: str, fields: ConsultationFields
) -> Consultation:
    """A recurring consultation of the channel's organizations (or some of them)."""
    channel = _member_channel(session, principal, channel_id)
    participants = channel.members
    if fields.participants is not None:
        orgs = resolve_orgs(session, fields.participants)
        outside = [org.name for org in orgs if org.id not in channel.members]
        if outside:
            raise Invalid(f"{', '.join(outside)} is not a member of this channel")
        if not orgs:
            raise Invalid("a consultation has at least one participant")
        participants = [org.id for org in orgs]
    obj = _in_channel(principal, channel, CONSULTATION)
    obj.update(
        name=fields.name,
        channel_ref=channel.id,
        start_time=stamp(fields.start_time),
        duration_minutes=fields.duration_minutes,
        frequency=fields.frequency,
        interval=fields.interval,
        participant_refs=[f"identity--{org}" for org in participants],
    )
    if fields.until is not None:
        obj["until"] = stamp(fields.until)
    if fields.description:
        obj["description"] = fields.description
    if fields.location:
        obj["location"] = fields.location
    _write(session, principal, obj)
    _audit(session, principal, "consultation.schedule", obj["id"], channel=channel.id)
    row = session.scalars(
        current(principal, CONSULTATION).where(StixObject.stix_id == obj["id"])
    ).one()
    return _consultation(row)


def list_consultations(
    session: Session, principal: Principal, channel_id: str | None = None
) -> list[Consultation]:
    """The consultations the caller sees, of one channel or of every channel."""
    query = current(principal, CONSULTATION)
    if channel_id is not None:
        query = query.where(
            StixObject.stix.contains(
                get_channel(session, principal, channel_id).id, autoescape=True
            )
        )
    found = [
        c
        for c in map(_consultation, session.scalars(query))
        if channel_id is None or c.channel_id == channel_id
    ]
    return sorted(found, key=lambda c: (c.start_time, c.id))


def organization_names(session: Session, org_ids: set[str]) -> dict[str, str]:
    """Names of organizations the caller already knows by id (members, senders)."""
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(sorted(org_ids)))
    )
    return {row.id: row.name for row in rows}
