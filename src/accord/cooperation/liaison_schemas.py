"""REST shapes of liaison between staffs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from accord.api.fields import Text
from accord.cooperation.liaison import (
    Channel,
    Consultation,
    ConsultationFields,
    Contact,
    ContactFields,
    Message,
)
from accord.intel import timestamps
from accord.sharing.distribution import Distribution

Name = Annotated[Text, Field(min_length=1, max_length=200)]
LongText = Annotated[Text, Field(max_length=100_000)]
OrgList = Annotated[list[Text], Field(max_length=500, description="organization UUIDs or names")]
StixRef = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-"
        r"[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        description="a STIX identifier (type--<uuid>)",
    ),
]
TlpName = Literal["none", "clear", "green", "amber", "amber+strict", "red"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelIn(_In):
    name: Name
    description: LongText = ""
    members: Annotated[
        list[Text],
        Field(min_length=1, max_length=500, description="the other organizations (UUIDs or names)"),
    ]
    tlp: TlpName = "none"


class MessageIn(_In):
    body: Annotated[Text, Field(min_length=1, max_length=100_000)]
    subject: Annotated[Text, Field(max_length=500)] = ""
    recipients: Annotated[
        OrgList | None, Field(description="default: every other member of the channel")
    ] = None
    in_reply_to: StixRef | None = None
    attachments: Annotated[list[StixRef], Field(max_length=100)] = []


class ContactIn(_In):
    name: Name
    function: Name
    phone: Annotated[Text | None, Field(pattern=r"^\+?[0-9 ().-]{3,50}$")] = None
    email: Annotated[Text | None, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)] = None
    distribution: Literal[Distribution.NODE, Distribution.FEDERATION, Distribution.OPEN] = (
        Distribution.NODE
    )
    published: bool = Field(True, description="a draft is seen by its own organization only")

    def fields(self) -> ContactFields:
        return ContactFields(self.name, self.function, self.phone, self.email)


class ConsultationIn(_In):
    name: Name
    description: LongText = ""
    start_time: AwareDatetime
    duration_minutes: Annotated[int, Field(ge=1, le=1440)]
    frequency: Literal["weekly", "monthly"]
    interval: Annotated[int, Field(ge=1, le=52)] = 1
    until: AwareDatetime | None = None
    location: Annotated[Text | None, Field(min_length=1, max_length=500)] = None
    participants: Annotated[
        OrgList | None, Field(description="default: every member of the channel")
    ] = None

    @model_validator(mode="after")
    def _in_order(self) -> ConsultationIn:
        if self.until is not None and self.until < self.start_time:
            raise ValueError("until must not be earlier than start_time")
        return self

    def fields(self) -> ConsultationFields:
        return ConsultationFields(
            name=self.name,
            start_time=self.start_time,
            duration_minutes=self.duration_minutes,
            frequency=self.frequency,
            interval=self.interval,
            until=self.until,
            description=self.description,
            location=self.location,
            participants=self.participants,
        )


class ChannelOut(BaseModel):
    id: str
    name: str
    description: str
    owner: str
    members: list[str]
    sharing_group: str
    tlp: str
    created: str

    @classmethod
    def of(cls, c: Channel) -> ChannelOut:
        return cls(
            id=c.id,
            name=c.name,
            description=c.description,
            owner=c.owner,
            members=c.members,
            sharing_group=c.sharing_group,
            tlp=c.tlp.label,
            created=c.created,
        )


class ReceiptOut(BaseModel):
    organization: str
    acknowledged: bool
    acknowledged_at: str | None


class MessageOut(BaseModel):
    id: str
    channel: str
    sender: str
    subject: str
    body: str
    in_reply_to: str | None
    attachments: list[str]
    created: str
    recipients: list[ReceiptOut] = Field(description="each recipient and its acknowledgement")
    unacknowledged: list[str]

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id,
            channel=m.channel_id,
            sender=m.sender,
            subject=m.subject,
            body=m.body,
            in_reply_to=m.in_reply_to,
            attachments=m.attachments,
            created=m.created,
            recipients=[
                ReceiptOut(
                    organization=org,
                    acknowledged=org in m.receipts,
                    acknowledged_at=m.receipts[org].acknowledged_at if org in m.receipts else None,
                )
                for org in m.recipients
            ],
            unacknowledged=m.unacknowledged,
        )


class ContactOut(BaseModel):
    id: str
    organization: str
    name: str
    function: str
    phone: str | None
    email: str | None
    distribution: str
    published: bool

    @classmethod
    def of(cls, c: Contact) -> ContactOut:
        return cls(
            id=c.id,
            organization=c.org_id,
            name=c.name,
            function=c.function,
            phone=c.phone,
            email=c.email,
            distribution=c.distribution,
            published=c.published,
        )


class ConsultationOut(BaseModel):
    id: str
    channel: str
    name: str
    description: str
    start_time: str
    duration_minutes: int
    frequency: str
    interval: int
    until: str | None
    location: str | None
    participants: list[str]

    @classmethod
    def of(cls, c: Consultation) -> ConsultationOut:
        return cls(
            id=c.id,
            channel=c.channel_id,
            name=c.name,
            description=c.description,
            start_time=timestamps.format_stix(c.start_time),
            duration_minutes=int(c.duration.total_seconds()) // 60,
            frequency=c.frequency,
            interval=c.interval,
            until=timestamps.format_stix(c.until) if c.until else None,
            location=c.location,
            participants=c.participants,
        )
