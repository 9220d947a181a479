"""REST shapes of the expert working group."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accord.api.fields import Text
from accord.cooperation.records import (
    AgendaItem,
    Comment,
    Initiative,
    Sharing,
    WgSession,
)
from accord.cooperation.workgroup import SessionFields, requested_sharing
from accord.intel.validation import UUID_RE
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp

Title = Annotated[Text, Field(min_length=1, max_length=500)]
LongText = Annotated[Text, Field(max_length=100_000)]
TlpName = Literal["none", "clear", "green", "amber", "amber+strict", "red"]
Opinion = Literal["strongly-agree", "agree", "neutral", "disagree", "strongly-disagree"]


class SharingIn(BaseModel):
    """Who sees a new issue or session: by default every organization on the node."""

    model_config = ConfigDict(extra="forbid")

    distribution: Distribution = Distribution.NODE
    sharing_group: Annotated[str | None, Field(pattern=UUID_RE.pattern)] = None
    tlp: TlpName = "none"

    def sharing(self) -> Sharing:
        return requested_sharing(self.distribution, self.sharing_group, Tlp.parse(self.tlp))


class ItemIn(SharingIn):
    name: Title
    description: LongText = ""


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["accepted", "scheduled", "discussed", "withdrawn"]
    session: Annotated[Text | None, Field(description="the session, when scheduling")] = None


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[Text, Field(min_length=1, max_length=100_000)]


class SupportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opinion: Opinion
    explanation: LongText = ""


class SessionPatch(BaseModel):
    """Changes to a session; an empty text removes the property."""

    model_config = ConfigDict(extra="forbid")

    name: Title | None = None
    description: LongText | None = None
    start_time: AwareDatetime | None = None
    end_time: AwareDatetime | None = None
    location: Annotated[Text | None, Field(max_length=500)] = None
    participants: Annotated[
        list[Text] | None, Field(max_length=500, description="organization UUIDs or names")
    ] = None
    minutes: LongText | None = None

    def fields(self) -> SessionFields:
        return SessionFields(
            name=self.name,
            description=self.description,
            start_time=self.start_time,
            end_time=self.end_time,
            location=self.location,
            participants=self.participants,
            minutes=self.minutes,
        )


class SessionIn(SharingIn, SessionPatch):
    name: Title
    start_time: AwareDatetime


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: Annotated[Text, Field(min_length=1, max_length=100_000)]
    items: Annotated[list[Text], Field(min_length=1, max_length=500)]


class SharingOut(BaseModel):
    distribution: str
    sharing_group: str | None
    tlp: str

    @classmethod
    def of(cls, sharing: Sharing) -> SharingOut:
        return cls(
            distribution=sharing.distribution,
            sharing_group=sharing.sharing_group,
            tlp=sharing.tlp.label,
        )


class SupportOut(BaseModel):
    organization: str
    opinion: str
    version: str


class ItemOut(BaseModel):
    id: str
    version: str
    name: str
    description: str
    status: str
    proposed_by: str
    proposed_at: str
    session: str | None
    decision: str | None
    score: int = Field(description="the sum of the member organizations' current support")
    support: list[SupportOut]
    sharing: SharingOut

    @classmethod
    def of(cls, item: AgendaItem) -> ItemOut:
        return cls(
            id=item.id,
            version=item.version,
            name=item.name,
            description=item.description,
            status=item.status.value,
            proposed_by=item.proposed_by,
            proposed_at=item.proposed_at,
            session=item.session_id,
            decision=item.decision,
            score=item.score,
            support=[
                SupportOut(organization=s.org_id, opinion=s.opinion, version=s.version)
                for s in item.support
            ],
            sharing=SharingOut.of(item.sharing),
        )


class DecisionOut(BaseModel):
    statement: str
    items: list[str]


class SessionOut(BaseModel):
    id: str
    version: str
    name: str
    description: str
    start_time: str
    end_time: str | None
    location: str | None
    participants: list[str]
    minutes: str
    decisions: list[DecisionOut]
    sharing: SharingOut

    @classmethod
    def of(cls, s: WgSession) -> SessionOut:
        return cls(
            id=s.id,
            version=s.version,
            name=s.name,
            description=s.description,
            start_time=s.start_time,
            end_time=s.end_time,
            location=s.location,
            participants=s.participants,
            minutes=s.minutes,
            decisions=[DecisionOut(statement=d.statement, items=d.item_ids) for d in s.decisions],
            sharing=SharingOut.of(s.sharing),
        )


class AgendaOut(BaseModel):
    session: SessionOut
    items: list[ItemOut]


class CommentOut(BaseModel):
    id: str
    organization: str
    text: str
    created: str

    @classmethod
    def of(cls, c: Comment) -> CommentOut:
        return cls(id=c.id, organization=c.org_id, text=c.text, created=c.created)


class InitiativeOut(BaseModel):
    organization: str
    name: str
    proposed: int
    decided: int
    withdrawn: int

    @classmethod
    def of(cls, i: Initiative) -> InitiativeOut:
        return cls(
            organization=i.org_id,
            name=i.name,
            proposed=i.proposed,
            decided=i.decided,
            withdrawn=i.withdrawn,
        )


class WorkgroupOut(BaseModel):
    organization: str
    name: str
    chair: bool = Field(description="whether the caller chairs the working group")
