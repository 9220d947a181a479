"""REST shapes of joint exercises."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accord.api.fields import Text
from accord.cooperation.exercises import (
    ContingentIn,
    Exercise,
    Lesson,
    PhaseIn,
    Plan,
)

Name = Annotated[Text, Field(min_length=1, max_length=500)]
LongText = Annotated[Text, Field(max_length=100_000)]
OrgName = Annotated[Text, Field(min_length=1, max_length=200, description="UUID or name")]
TlpName = Literal["none", "clear", "green", "amber", "amber+strict", "red"]
Objective = Literal[
    "countering-uav",
    "information-security",
    "preventing-cbrn-terrorism",
    "counter-terrorism-operations",
    "crisis-response",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContingentBody(_In):
    organization: OrgName
    description: LongText = ""
    personnel: Annotated[int | None, Field(ge=1, le=1_000_000)] = None

    def given(self) -> ContingentIn:
        return ContingentIn(self.organization, self.description, self.personnel)


class ObserverBody(_In):
    organization: OrgName


class PhaseBody(_In):
    name: Name
    start_time: AwareDatetime
    end_time: AwareDatetime | None = None
    location: Annotated[Text, Field(max_length=500)] = ""

    def given(self) -> PhaseIn:
        return PhaseIn(self.name, self.start_time, self.end_time, self.location)


class ExerciseIn(_In):
    name: Name
    description: LongText = ""
    start_time: AwareDatetime
    end_time: AwareDatetime | None = None
    objectives: Annotated[list[Objective], Field(max_length=5)] = []
    other_objectives: Annotated[list[Name], Field(max_length=50)] = []
    contingents: Annotated[list[ContingentBody], Field(max_length=200)] = []
    observers: Annotated[
        list[OrgName], Field(max_length=200, description="organizations (UUIDs or names)")
    ] = []
    phases: Annotated[list[PhaseBody], Field(max_length=100)] = []
    tlp: TlpName | None = Field(
        None, description="default amber when planning; unchanged when replanning"
    )

    def plan(self) -> Plan:
        return Plan(
            name=self.name,
            start_time=self.start_time,
            end_time=self.end_time,
            description=self.description,
            objectives=list(self.objectives),
            other_objectives=list(self.other_objectives),
            contingents=[c.given() for c in self.contingents],
            observers=list(self.observers),
            phases=[p.given() for p in self.phases],
        )


class LessonIn(_In):
    kind: Literal["course-of-action", "note"] = "course-of-action"
    title: Name
    text: Annotated[Text, Field(min_length=1, max_length=100_000)]


class ContingentOut(BaseModel):
    organization: str
    description: str
    personnel: int | None


class PhaseOut(BaseModel):
    name: str
    start_time: str
    end_time: str | None
    location: str


class ExerciseOut(BaseModel):
    id: str
    version: str
    name: str
    description: str
    start_time: str
    end_time: str | None
    objectives: list[str]
    other_objectives: list[str]
    contingents: list[ContingentOut]
    observers: list[str]
    phases: list[PhaseOut]
    status: str
    closed_at: str | None
    owner: str
    sharing_group: str
    tlp: str
    created: str

    @classmethod
    def of(cls, e: Exercise) -> ExerciseOut:
        return cls(
            id=e.id,
            version=e.version,
            name=e.name,
            description=e.description,
            start_time=e.start_time,
            end_time=e.end_time,
            objectives=e.objectives,
            other_objectives=e.other_objectives,
            contingents=[
                ContingentOut(
                    organization=c.org_id, description=c.description, personnel=c.personnel
                )
                for c in e.contingents
            ],
            observers=e.observers,
            phases=[
                PhaseOut(
                    name=p.name, start_time=p.start_time, end_time=p.end_time, location=p.location
                )
                for p in e.phases
            ],
            status=e.status.value,
            closed_at=e.closed_at,
            owner=e.owner,
            sharing_group=e.sharing_group,
            tlp=e.tlp.label,
            created=e.created,
        )


class LessonOut(BaseModel):
    id: str
    kind: str
    title: str
    text: str
    organization: str
    created: str

    @classmethod
    def of(cls, lesson: Lesson) -> LessonOut:
        return cls(
            id=lesson.id,
            kind=lesson.kind,
            title=lesson.title,
            text=lesson.text,
            organization=lesson.org_id,
            created=lesson.created,
        )
