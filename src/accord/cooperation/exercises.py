"""Joint exercises: a plan, its contingents and observers, phases, and lessons learned.

An exercise (`x-accord-exercise`) is a STIX object owned by the planning organization and
written through the one ingest path. It is shared, with distribution `group`, with a
sharing group made for it whose members are exactly the planner, the contingents'
organizations and the observers, so the ordinary access rule decides who sees it and
federation carries it. Each change of the plan is a new version, by the planner alone;
the group follows the plan's organizations in the same transaction.

Lessons learned are ordinary shared objects that reach the exchange of experience: a
`note` whose `object_refs` names the exercise, or a `course-of-action` linked to it by a
`relationship` (`related-to`); both carry the exercise's sharing group and TLP. The
planner and the contingents write them; observers read and never write, which the write
guards below also enforce on every other write path (REST objects, TAXII, the forms).
"""

from __future__ import annotations

import enum
import uuid
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
)
from accord.cooperation.types import EXERCISE
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.guards import WriteContext
from accord.intel.ingest import Status as Outcome
from accord.intel.ingest import WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.rules import can_create
from accord.sharing.service import create_group
from accord.sharing.tlp import TLP_BY_MARKING_ID, Tlp

OBJECTIVES = (
    "countering-uav",
    "information-security",
    "preventing-cbrn-terrorism",
    "counter-terrorism-operations",
    "crisis-response",
)
LESSON_KINDS = ("course-of-action", "note")
LESSON_LABEL = "lesson-learned"
LINK = "related-to"  # a course-of-action's relationship to its exercise
MAX_NAME = 500
ENDPOINT = "/api/v1/exercises"
OBSERVERS_NEVER_WRITE = "observers of an exercise read what is shared with them; they never write"


class Status(enum.StrEnum):
    PLANNED = "planned"
    CLOSED = "closed"


class Part(enum.StrEnum):
    """An organization's part in an exercise."""

    PLANNER = "planner"
    CONTINGENT = "contingent"
    OBSERVER = "observer"


# --- what callers give and get -------------------------------------------------------------


@dataclass(frozen=True)
class ContingentIn:
    organization: str  # name or UUID
    description: str = ""
    personnel: int | None = None


@dataclass(frozen=True)
class PhaseIn:
    name: str
    start_time: datetime
    end_time: datetime | None = None
    location: str = ""


@dataclass(frozen=True)
class Plan:
    name: str
    start_time: datetime
    end_time: datetime | None = None
    description: str = ""
    objectives: list[str] = field(default_factory=list)
    other_objectives: list[str] = field(default_factory=list)
    contingents: list[ContingentIn] = field(default_factory=list)
    observers: list[str] = field(default_factory=list)  # names or UUIDs
    phases: list[PhaseIn] = field(default_factory=list)


@dataclass(frozen=True)
class Contingent:
    org_id: str
    description: str
    personnel: int | None


@dataclass(frozen=True)
class Phase:
    name: str
    start_time: str
    end_time: str | None
    location: str


@dataclass(frozen=True)
class Exercise:
    id: str
    version: str
    name: str
    description: str
    start_time: str
    end_time: str | None
    objectives: list[str]
    other_objectives: list[str]
    contingents: list[Contingent]
    observers: list[str]
    phases: list[Phase]
    status: Status
    closed_at: str | None
    owner: str
    sharing_group: str
    tlp: Tlp
    created: str

    def part_of(self, org_id: str | None) -> Part | None:
        if org_id is None:
            return None
        if org_id == self.owner:
            return Part.PLANNER
        if org_id in self.observers:
            return Part.OBSERVER
        if any(c.org_id == org_id for c in self.contingents):
            return Part.CONTINGENT
        return None

    @property
    def organizations(self) -> set[str]:
        return {self.owner, *self.observers, *(c.org_id for c in self.contingents)}


@dataclass(frozen=True)
class Lesson:
    id: str
    kind: str
    title: str
    text: str
    org_id: str
    created: str


# --- reading -------------------------------------------------------------------------------


def _exercise(row: StixObject) -> Exercise:
    obj = stix_of(row)
    assert row.sharing_group_id is not None  # exercises are always shared with their group
    return Exercise(
        id=row.stix_id,
        version=timestamps.display(row.modified),
        name=obj["name"],
        description=obj.get("description", ""),
        start_time=obj["start_time"],
        end_time=obj.get("end_time"),
        objectives=list(obj.get("objectives", ())),
        other_objectives=list(obj.get("other_objectives", ())),
        contingents=[
            Contingent(org_of(c["organization_ref"]), c.get("description", ""), c.get("personnel"))
            for c in obj.get("contingents", ())
        ],
        observers=[org_of(r) for r in obj.get("observer_refs", ())],
        phases=[
            Phase(p["name"], p["start_time"], p.get("end_time"), p.get("location", ""))
            for p in obj.get("phases", ())
        ],
        status=Status(obj.get("status", Status.PLANNED)),
        closed_at=obj.get("closed_at"),
        owner=row.owner_org_id,
        sharing_group=row.sharing_group_id,
        tlp=Tlp(row.tlp),
        created=obj["created"],
    )


def exercise_row(session: Session, principal: Principal, exercise_id: str) -> StixObject:
    row = session.scalars(
        current(principal, EXERCISE).where(StixObject.stix_id == exercise_id)
    ).first()
    if row is None:
        raise NotFound(f"no exercise {exercise_id}")
    return row


def get_exercise(session: Session, principal: Principal, exercise_id: str) -> Exercise:
    return _exercise(exercise_row(session, principal, exercise_id))


def list_exercises(session: Session, principal: Principal) -> list[Exercise]:
    """Visible exercises, the latest first."""
    found = map(_exercise, session.scalars(current(principal, EXERCISE)))
    return sorted(found, key=lambda e: (e.start_time, e.id), reverse=True)


def list_lessons(session: Session, principal: Principal, exercise_id: str) -> list[Lesson]:
    """The lessons learned the caller sees, oldest first."""
    exercise_row(session, principal, exercise_id)
    lessons: list[Lesson] = []
    for row in session.scalars(mentioning(principal, "note", exercise_id)):
        obj = stix_of(row)
        if exercise_id in obj.get("object_refs", ()):
            lessons.append(
                Lesson(
                    row.stix_id,
                    "note",
                    obj.get("abstract", ""),
                    obj["content"],
                    row.owner_org_id,
                    obj["created"],
                )
            )
    sources = [
        obj["source_ref"]
        for row in session.scalars(mentioning(principal, "relationship", exercise_id))
        if (obj := stix_of(row))["target_ref"] == exercise_id
        and obj["source_ref"].startswith("course-of-action--")
    ]
    if sources:
        rows = session.scalars(
            current(principal, "course-of-action").where(StixObject.stix_id.in_(sources))
        )
        for row in rows:
            obj = stix_of(row)
            lessons.append(
                Lesson(
                    row.stix_id,
                    "course-of-action",
                    obj["name"],
                    obj.get("description", ""),
                    row.owner_org_id,
                    obj["created"],
                )
            )
    return sorted(lessons, key=lambda lesson: (lesson.created, lesson.id))


def organization_names(session: Session, ids: set[str]) -> dict[str, str]:
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(sorted(ids)))
    )
    return {row.id: row.name for row in rows}


# --- rules ---------------------------------------------------------------------------------


def _require_writer(principal: Principal) -> None:
    if not principal.is_user or principal.org_id is None:
        raise Forbidden("only users of an organization take part in exercises")
    if not can_create(principal, published=True):
        raise Forbidden("your role may not write in exercises: an analyst of your organization may")


def _require_planner(principal: Principal, exercise: Exercise) -> None:
    if exercise.part_of(principal.org_id) is Part.OBSERVER:
        raise Forbidden(OBSERVERS_NEVER_WRITE)
    _require_writer(principal)
    if principal.org_id != exercise.owner:
        raise Forbidden("only the planning organization changes the exercise's plan")


def _text(value: str, what: str, limit: int = MAX_NAME) -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"give the {what}")
    if len(value) > limit:
        raise Invalid(f"the {what} is too long: at most {limit} characters")
    return value


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise Invalid("dates carry a time zone")
    return moment


def _plan_object(
    session: Session, plan: Plan, owner_id: str
) -> tuple[dict[str, Any], list[Organization]]:
    """The plan's STIX properties, checked; and the organizations taking part besides the
    planner. Any bad input is refused here, before anything is written."""
    props: dict[str, Any] = {"name": _text(plan.name, "exercise's name")}
    start = _utc(plan.start_time)
    end = _utc(plan.end_time) if plan.end_time is not None else None
    if end is not None and end < start:
        raise Invalid("the exercise ends before it starts: the end date comes before the start")
    props["start_time"] = stamp(start)
    if end is not None:
        props["end_time"] = stamp(end)
    if plan.description.strip():
        props["description"] = plan.description.strip()
    unknown = [o for o in plan.objectives if o not in OBJECTIVES]
    if unknown:
        raise Invalid(f"unknown objective {unknown[0]!r}: choose among {', '.join(OBJECTIVES)}")
    if len(set(plan.objectives)) != len(plan.objectives):
        raise Invalid("an objective is named twice")
    others = [o.strip() for o in plan.other_objectives if o.strip()]
    if not plan.objectives and not others:
        raise Invalid("an exercise has at least one objective")
    if plan.objectives:
        props["objectives"] = list(plan.objectives)
    if others:
        props["other_objectives"] = others

    orgs = resolve_orgs(session, [c.organization for c in plan.contingents])
    contingents: list[dict[str, Any]] = []
    for org, given in zip(orgs, plan.contingents, strict=True):
        entry: dict[str, Any] = {"organization_ref": org.identity_id}
        if given.description.strip():
            entry["description"] = given.description.strip()
        if given.personnel is not None:
            if given.personnel < 1:
                raise Invalid(f"the contingent of {org.name} has at least one person")
            entry["personnel"] = given.personnel
        contingents.append(entry)
    if contingents:
        props["contingents"] = contingents
    observers = resolve_orgs(session, plan.observers)
    taking_part = {org.id for org in orgs}
    for org in observers:
        if org.id == owner_id:
            raise Invalid(f"{org.name} plans the exercise: it cannot also be an observer")
        if org.id in taking_part:
            raise Invalid(f"{org.name} cannot be both a contingent and an observer")
    if observers:
        props["observer_refs"] = [org.identity_id for org in observers]

    phases: list[dict[str, Any]] = []
    for index, phase in enumerate(plan.phases, start=1):
        name = _text(phase.name, f"name of phase {index}")
        p_start = _utc(phase.start_time)
        p_end = _utc(phase.end_time) if phase.end_time is not None else None
        if p_end is not None and p_end < p_start:
            raise Invalid(f"phase {name!r} ends before it starts")
        if p_start < start:
            raise Invalid(f"phase {name!r} starts before the exercise starts")
        if end is not None and (p_end or p_start) > end:
            raise Invalid(f"phase {name!r} ends after the exercise ends")
        entry = {"name": name, "start_time": stamp(p_start)}
        if p_end is not None:
            entry["end_time"] = stamp(p_end)
        if phase.location.strip():
            entry["location"] = _text(phase.location, f"place of phase {name!r}")
        phases.append(entry)
    if phases:
        props["phases"] = phases
    return props, [*orgs, *observers]


def plan_of(exercise: Exercise, names: dict[str, str] | None = None) -> Plan:
    """The plan an exercise holds, to change part of it (organizations by UUID)."""

    def moment(value: str | None) -> datetime | None:
        return timestamps.parse(value) if value is not None else None

    start = timestamps.parse(exercise.start_time)
    return Plan(
        name=exercise.name,
        start_time=start,
        end_time=moment(exercise.end_time),
        description=exercise.description,
        objectives=list(exercise.objectives),
        other_objectives=list(exercise.other_objectives),
        contingents=[
            ContingentIn(c.org_id, c.description, c.personnel) for c in exercise.contingents
        ],
        observers=list(exercise.observers),
        phases=[
            PhaseIn(p.name, timestamps.parse(p.start_time), moment(p.end_time), p.location)
            for p in exercise.phases
        ],
    )


# --- writing -------------------------------------------------------------------------------


def _write(session: Session, writer: Principal, objects: list[dict[str, Any]]) -> None:
    """Ingest as the module (its rules are checked), all or nothing."""
    result = ingest(session, writer, objects, WriteDefaults(published=True, by_module=True))
    if not result.ok:
        refused = next(r for r in result.results if r.status is Outcome.REFUSED)
        raise Invalid(refused.reason or "the object was refused")


def _audit(session: Session, principal: Principal, action: str, target: str, **detail: Any) -> None:
    append(session, principal.actor, f"exercise.{action}", target, detail or None)


def _sync_group(
    session: Session, principal: Principal, group_id: str, owner_id: str, wanted: list[Organization]
) -> None:
    """The exercise's group holds exactly the planner and the organizations taking part."""
    group = session.get(SharingGroup, group_id)
    assert group is not None
    keep = {owner_id, *(org.id for org in wanted)}
    for org in list(group.members):
        if org.id not in keep:
            group.members.remove(org)
            append(session, principal.actor, "group.member.remove", group.id, {"org": org.id})
    present = {org.id for org in group.members}
    for org in wanted:
        if org.id not in present:
            group.members.append(org)
            if org.node not in group.nodes:
                group.nodes.append(org.node)
            append(session, principal.actor, "group.member.add", group.id, {"org": org.id})
    session.flush()


def plan_exercise(
    session: Session, principal: Principal, plan: Plan, tlp: Tlp = Tlp.AMBER
) -> Exercise:
    """A new exercise of the caller's organization, with a sharing group made for it."""
    _require_writer(principal)
    own = session.get(Organization, principal.org_id)
    assert own is not None
    props, taking_part = _plan_object(session, plan, own.id)
    group = create_group(
        session,
        principal.actor,
        f"Exercise: {props['name']}"[:200],
        own,
        taking_part,
        description="made for a joint exercise: the planner, its contingents and observers",
    )
    writer = replace(principal, group_ids=principal.group_ids | {group.id})
    marking = tlp.marking_id
    obj = new_object(EXERCISE, writer, Distribution.GROUP, group.id, [marking] if marking else None)
    obj.update(props, status=Status.PLANNED.value)
    _write(session, writer, [obj])
    _audit(session, principal, "plan", obj["id"], group=group.id, tlp=tlp.label)
    return get_exercise(session, writer, obj["id"])


def _next_version(obj: dict[str, Any]) -> dict[str, Any]:
    new = dict(obj)
    previous = timestamps.parse(obj["modified"])
    new["modified"] = stamp(max(utcnow(), previous + timedelta(milliseconds=1)))
    return new


_PLAN_KEYS = (
    "name",
    "description",
    "start_time",
    "end_time",
    "objectives",
    "other_objectives",
    "contingents",
    "observer_refs",
    "phases",
)


def _revise(
    session: Session,
    principal: Principal,
    exercise_id: str,
    plan: Plan,
    action: str,
    tlp: Tlp | None = None,
    **detail: Any,
) -> Exercise:
    """A new version of the plan, by the planner, with the group following it."""
    row = exercise_row(session, principal, exercise_id)
    exercise = _exercise(row)
    _require_planner(principal, exercise)
    if exercise.status is Status.CLOSED:
        raise Conflict("the exercise is closed: its plan no longer changes")
    props, taking_part = _plan_object(session, plan, exercise.owner)
    new = _next_version(stix_of(row))
    for key in _PLAN_KEYS:
        new.pop(key, None)
    new.update(props)
    if tlp is not None:
        marking = tlp.marking_id
        others = [m for m in new.get("object_marking_refs", ()) if m not in TLP_BY_MARKING_ID]
        new.pop("object_marking_refs", None)
        if others or marking:
            new["object_marking_refs"] = [*others, *([marking] if marking else [])]
    _sync_group(session, principal, exercise.sharing_group, exercise.owner, taking_part)
    _write(session, principal, [new])
    _audit(session, principal, action, f"{exercise_id}@{new['modified']}", **detail)
    return get_exercise(session, principal, exercise_id)


def update_exercise(
    session: Session, principal: Principal, exercise_id: str, plan: Plan, tlp: Tlp | None = None
) -> Exercise:
    """Replan: the whole plan given again, as a new version."""
    return _revise(session, principal, exercise_id, plan, "update", tlp)


def _changed(session: Session, principal: Principal, exercise_id: str) -> tuple[Exercise, Plan]:
    exercise = get_exercise(session, principal, exercise_id)
    _require_planner(principal, exercise)
    return exercise, plan_of(exercise)


def add_contingent(
    session: Session, principal: Principal, exercise_id: str, contingent: ContingentIn
) -> Exercise:
    _, plan = _changed(session, principal, exercise_id)
    plan = replace(plan, contingents=[*plan.contingents, contingent])
    return _revise(
        session, principal, exercise_id, plan, "contingent.add", org=contingent.organization
    )


def remove_contingent(
    session: Session, principal: Principal, exercise_id: str, organization: str
) -> Exercise:
    exercise, plan = _changed(session, principal, exercise_id)
    (org,) = resolve_orgs(session, [organization])
    if exercise.part_of(org.id) is not Part.CONTINGENT:
        raise Invalid(f"{org.name} has no contingent in this exercise")
    kept = [c for c in plan.contingents if c.organization != org.id]
    plan = replace(plan, contingents=kept)
    return _revise(session, principal, exercise_id, plan, "contingent.remove", org=org.id)


def add_observer(
    session: Session, principal: Principal, exercise_id: str, organization: str
) -> Exercise:
    _, plan = _changed(session, principal, exercise_id)
    plan = replace(plan, observers=[*plan.observers, organization])
    return _revise(session, principal, exercise_id, plan, "observer.add", org=organization)


def remove_observer(
    session: Session, principal: Principal, exercise_id: str, organization: str
) -> Exercise:
    exercise, plan = _changed(session, principal, exercise_id)
    (org,) = resolve_orgs(session, [organization])
    if org.id not in exercise.observers:
        raise Invalid(f"{org.name} is not an observer of this exercise")
    plan = replace(plan, observers=[o for o in plan.observers if o != org.id])
    return _revise(session, principal, exercise_id, plan, "observer.remove", org=org.id)


def add_phase(session: Session, principal: Principal, exercise_id: str, phase: PhaseIn) -> Exercise:
    _, plan = _changed(session, principal, exercise_id)
    plan = replace(plan, phases=[*plan.phases, phase])
    return _revise(session, principal, exercise_id, plan, "phase.add", phase=phase.name)


def close_exercise(session: Session, principal: Principal, exercise_id: str) -> Exercise:
    """The exercise is over: its plan is closed; lessons learned may still be added."""
    row = exercise_row(session, principal, exercise_id)
    exercise = _exercise(row)
    _require_planner(principal, exercise)
    if exercise.status is Status.CLOSED:
        raise Conflict("the exercise is already closed")
    new = _next_version(stix_of(row))
    new.update(status=Status.CLOSED.value, closed_at=new["modified"])
    _write(session, principal, [new])
    _audit(session, principal, "close", f"{exercise_id}@{new['modified']}")
    return get_exercise(session, principal, exercise_id)


def add_lesson(
    session: Session,
    principal: Principal,
    exercise_id: str,
    kind: str,
    title: str,
    text: str,
) -> Lesson:
    """A lesson learned by the planner or a contingent: an ordinary shared object linked
    to the exercise, shared as the exercise is."""
    exercise = get_exercise(session, principal, exercise_id)
    part = exercise.part_of(principal.org_id)
    if part is Part.OBSERVER:
        raise Forbidden(OBSERVERS_NEVER_WRITE)
    _require_writer(principal)
    if part is None:
        raise Forbidden("only the planning organization and the contingents record lessons")
    if kind not in LESSON_KINDS:
        raise Invalid(f"a lesson is one of {', '.join(LESSON_KINDS)}")
    title = _text(title, "lesson's title")
    text = _text(text, "lesson's text", 100_000)
    marking = exercise.tlp.marking_id
    markings = [marking] if marking else None

    def shared(stix_type: str) -> dict[str, Any]:
        now = stamp(utcnow())
        obj: dict[str, Any] = {
            "type": stix_type,
            "spec_version": "2.1",
            "id": f"{stix_type}--{uuid.uuid4()}",
            "created": now,
            "modified": now,
            "created_by_ref": f"identity--{principal.org_id}",
            "extensions": {
                EXTENSION_ID: sharing_extension(Distribution.GROUP.value, exercise.sharing_group)
            },
        }
        if markings:
            obj["object_marking_refs"] = markings
        return obj

    lesson = shared(kind)
    lesson["labels"] = [LESSON_LABEL]
    objects = [lesson]
    if kind == "note":
        lesson.update(abstract=title, content=text, object_refs=[exercise_id])
    else:
        lesson.update(name=title, description=text)
        link = shared("relationship")
        link.update(relationship_type=LINK, source_ref=lesson["id"], target_ref=exercise_id)
        objects.append(link)
    _write(session, principal, objects)
    _audit(session, principal, "lesson.add", lesson["id"], exercise=exercise_id, kind=kind)
    return Lesson(lesson["id"], kind, title, text, str(principal.org_id), lesson["created"])


# --- write guards (accord.intel.guards) ----------------------------------------------------


def guard_exercise(context: WriteContext, obj: dict[str, Any]) -> str | None:
    """Exercises are written by this module alone: every other path would skip who plans,
    who takes part and who only observes."""
    if not context.by_module:
        return (
            f"exercises are written through the exercises module ({ENDPOINT}, or the "
            "Exercises pages), which checks who plans, takes part and observes"
        )
    observers = set(obj.get("observer_refs", ()))
    contingents = {c.get("organization_ref") for c in obj.get("contingents", ())}
    if observers & contingents:
        return "an organization cannot be both a contingent and an observer of an exercise"
    if f"identity--{context.principal.org_id}" in observers:
        return OBSERVERS_NEVER_WRITE
    return None


def _exercise_refs(obj: dict[str, Any]) -> list[str]:
    refs = obj.get("object_refs")
    found = [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []
    if obj.get("type") == "relationship":
        found += [str(obj.get("source_ref", "")), str(obj.get("target_ref", ""))]
    return [r for r in found if r.startswith(f"{EXERCISE}--")]


def guard_about_exercises(context: WriteContext, obj: dict[str, Any]) -> str | None:
    """A note, course of action, opinion or relationship about an exercise is written by
    its planner or a contingent; an observer never writes, on any path. Objects about
    anything else pass at the cost of a look at their references."""
    refs = _exercise_refs(obj)
    if not refs:
        return None
    principal = context.principal
    rows = context.session.scalars(
        current(principal, EXERCISE).where(StixObject.stix_id.in_(sorted(set(refs))))
    )
    for row in rows:
        part = _exercise(row).part_of(principal.org_id)
        if part is Part.OBSERVER:
            return OBSERVERS_NEVER_WRITE
        if part is None:
            return "only the planning organization and the contingents write about an exercise"
    return None
