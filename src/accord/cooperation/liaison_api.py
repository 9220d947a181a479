"""REST: /api/v1/liaison, liaison between staffs. Thin: parse, call the service, render.

404 for a channel, message or contact the caller cannot see, 403 for a write the
caller's role or organization may not make, 422 for bad input; nothing is written then.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from accord.api.auth import require_principal
from accord.cooperation import liaison
from accord.cooperation.liaison_ical import calendar
from accord.cooperation.liaison_schemas import (
    ChannelIn,
    ChannelOut,
    ConsultationIn,
    ConsultationOut,
    ContactIn,
    ContactOut,
    MessageIn,
    MessageOut,
)
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp

router = APIRouter(prefix="/liaison", tags=["liaison"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
CALENDAR = "text/calendar; charset=utf-8"


@router.get("/channels", response_model=list[ChannelOut], summary="The caller's channels")
def list_channels(request: Request, principal: PrincipalDep) -> list[ChannelOut]:
    with request.app.state.db.read() as session:
        return [ChannelOut.of(c) for c in liaison.list_channels(session, principal)]


@router.post(
    "/channels",
    response_model=ChannelOut,
    status_code=201,
    summary="Open a channel with other organizations (a sharing group is made for it)",
)
def create_channel(request: Request, principal: PrincipalDep, body: ChannelIn) -> ChannelOut:
    with request.app.state.db.write() as session:
        channel = liaison.create_channel(
            session, principal, body.name, body.members, body.description, Tlp.parse(body.tlp)
        )
        return ChannelOut.of(channel)


@router.get("/channels/{channel_id}", response_model=ChannelOut)
def get_channel(request: Request, principal: PrincipalDep, channel_id: str) -> ChannelOut:
    with request.app.state.db.read() as session:
        return ChannelOut.of(liaison.get_channel(session, principal, channel_id))


@router.get(
    "/channels/{channel_id}/messages",
    response_model=list[MessageOut],
    summary="The channel's messages, oldest first, with each recipient's acknowledgement",
)
def list_messages(request: Request, principal: PrincipalDep, channel_id: str) -> list[MessageOut]:
    with request.app.state.db.read() as session:
        return [MessageOut.of(m) for m in liaison.list_messages(session, principal, channel_id)]


@router.post(
    "/channels/{channel_id}/messages",
    response_model=MessageOut,
    status_code=201,
    summary="Send a message (or a reply) in the channel",
)
def post_message(
    request: Request, principal: PrincipalDep, channel_id: str, body: MessageIn
) -> MessageOut:
    with request.app.state.db.write() as session:
        message = liaison.post_message(
            session,
            principal,
            channel_id,
            body.body,
            body.subject,
            body.recipients,
            body.in_reply_to,
            body.attachments,
        )
        return MessageOut.of(message)


@router.get("/messages/{message_id}", response_model=MessageOut)
def get_message(request: Request, principal: PrincipalDep, message_id: str) -> MessageOut:
    with request.app.state.db.read() as session:
        return MessageOut.of(liaison.get_message(session, principal, message_id))


@router.post(
    "/messages/{message_id}/acknowledgement",
    response_model=MessageOut,
    summary="Acknowledge receipt for the caller's organization (again changes nothing)",
)
def acknowledge(request: Request, principal: PrincipalDep, message_id: str) -> MessageOut:
    with request.app.state.db.write() as session:
        return MessageOut.of(liaison.acknowledge(session, principal, message_id))


@router.get(
    "/unacknowledged",
    response_model=list[MessageOut],
    summary="Messages some recipient has not acknowledged after a time (ISO 8601 duration)",
)
def unacknowledged(
    request: Request,
    principal: PrincipalDep,
    older_than: Annotated[str, Query(max_length=40, description="e.g. PT24H, P2D")] = "PT24H",
    channel: Annotated[str | None, Query(max_length=200)] = None,
) -> list[MessageOut]:
    age = liaison.parse_duration(older_than)
    with request.app.state.db.read() as session:
        overdue = liaison.unacknowledged(session, principal, age, channel)
        return [MessageOut.of(m) for m in overdue]


@router.get(
    "/contacts",
    response_model=list[ContactOut],
    summary="Published points of contact (the caller's own organization's drafts too)",
)
def list_contacts(
    request: Request,
    principal: PrincipalDep,
    organization: Annotated[str | None, Query(max_length=200)] = None,
) -> list[ContactOut]:
    with request.app.state.db.read() as session:
        contacts = liaison.list_contacts(session, principal, organization)
        return [ContactOut.of(c) for c in contacts]


@router.post(
    "/contacts",
    response_model=ContactOut,
    status_code=201,
    summary="Publish a point of contact of the caller's organization",
)
def add_contact(request: Request, principal: PrincipalDep, body: ContactIn) -> ContactOut:
    with request.app.state.db.write() as session:
        contact = liaison.add_contact(
            session, principal, body.fields(), body.distribution, body.published
        )
        return ContactOut.of(contact)


@router.delete("/contacts/{contact_id}", status_code=204, summary="Withdraw a point of contact")
def withdraw_contact(request: Request, principal: PrincipalDep, contact_id: str) -> Response:
    with request.app.state.db.write() as session:
        liaison.withdraw_contact(session, principal, contact_id)
    return Response(status_code=204)


@router.get(
    "/channels/{channel_id}/consultations",
    response_model=list[ConsultationOut],
    summary="The channel's regular consultations",
)
def list_consultations(
    request: Request, principal: PrincipalDep, channel_id: str
) -> list[ConsultationOut]:
    with request.app.state.db.read() as session:
        found = liaison.list_consultations(session, principal, channel_id)
        return [ConsultationOut.of(c) for c in found]


@router.post(
    "/channels/{channel_id}/consultations",
    response_model=ConsultationOut,
    status_code=201,
    summary="Schedule a regular consultation (weekly or monthly)",
)
def schedule_consultation(
    request: Request, principal: PrincipalDep, channel_id: str, body: ConsultationIn
) -> ConsultationOut:
    with request.app.state.db.write() as session:
        created = liaison.schedule_consultation(session, principal, channel_id, body.fields())
        return ConsultationOut.of(created)


def _ics(request: Request, principal: Principal, channel_id: str | None) -> Response:
    with request.app.state.db.read() as session:
        found = liaison.list_consultations(session, principal, channel_id)
        orgs = {org for c in found for org in c.participants}
        text = calendar(found, liaison.organization_names(session, orgs))
    return Response(content=text.encode("utf-8"), media_type=CALENDAR)


@router.get(
    "/consultations.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
    summary="Every consultation the caller sees, as iCalendar (RFC 5545)",
)
def all_consultations_ics(request: Request, principal: PrincipalDep) -> Response:
    return _ics(request, principal, None)


@router.get(
    "/channels/{channel_id}/consultations.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
    summary="The channel's consultations as iCalendar (RFC 5545)",
)
def channel_consultations_ics(
    request: Request, principal: PrincipalDep, channel_id: str
) -> Response:
    return _ics(request, principal, channel_id)
