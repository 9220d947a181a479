"""The exercises service on its own: who sees and who writes, for any arrangement of
organizations (property-based), and the write guards on the one ingest path."""

# ruff: noqa: F811  (pytest fixtures imported from exercise_fixtures are parameters here)

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cooperation import exercises
from accord.cooperation.exercises import ContingentIn, Part, PhaseIn, Plan
from accord.db import Database
from accord.errors import Forbidden, Invalid, NotFound
from accord.intel.ingest import WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.sharing.rules import can_see
from accord.sharing.tlp import Tlp
from tests.cooperation.exercise_fixtures import Sides, sides, state  # noqa: F401  (fixtures)
from tests.factories import Account, World, stamp

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 10, tzinfo=UTC)


def _plan(contingents: list[str], observers: list[str], **extra: object) -> Plan:
    fields: dict[str, object] = {
        "name": "Northern Watch",
        "start_time": START,
        "end_time": END,
        "objectives": ["information-security"],
        "contingents": [ContingentIn(org) for org in contingents],
        "observers": observers,
        "phases": [PhaseIn("Cyber range", START, END, "Lake Verin")],
    }
    fields.update(extra)
    return Plan(**fields)  # type: ignore[arg-type]


PARTS = st.sampled_from([None, Part.CONTINGENT, Part.OBSERVER])


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=12,
    deadline=None,
    database=None,
)
@given(parts=st.lists(PARTS, min_size=3, max_size=3), tlp=st.sampled_from(list(Tlp)))
def test_who_sees_and_who_writes_follows_the_plan(
    world: World, sides: Sides, parts: list[Part | None], tlp: Tlp
) -> None:
    others = [
        (sides.partner_org, sides.partner),
        (sides.observer_org, sides.observer),
        (sides.outsider_org, sides.outsider),
    ]
    contingents = [
        org.id for (org, _), part in zip(others, parts, strict=True) if part is Part.CONTINGENT
    ]
    observers = [
        org.id for (org, _), part in zip(others, parts, strict=True) if part is Part.OBSERVER
    ]
    with world.db.write() as session:
        planned = exercises.plan_exercise(
            session, sides.planner.principal, _plan(contingents, observers), tlp
        )
    assert planned.tlp is tlp
    for (org, account), part in [
        *zip(others, parts, strict=True),
        ((sides.planner_org, sides.planner), None),
    ]:
        who = world.refresh(account)
        expected = Part.PLANNER if org.id == sides.planner_org.id else part
        with world.db.read() as session:
            listed = [e.id for e in exercises.list_exercises(session, who.principal)]
            assert (planned.id in listed) is (expected is not None)
            if expected is None:
                with pytest.raises(NotFound):
                    exercises.get_exercise(session, who.principal, planned.id)
                continue
            seen = exercises.get_exercise(session, who.principal, planned.id)
            assert seen.part_of(org.id) is expected
        with world.db.write() as session:
            if expected is Part.OBSERVER:
                with pytest.raises(Forbidden, match="they never write"):
                    exercises.add_lesson(session, who.principal, planned.id, "note", "t", "x")
            else:
                lesson = exercises.add_lesson(
                    session, who.principal, planned.id, "course-of-action", "Lesson", "Text"
                )
                assert lesson.org_id == org.id
    # Every lesson is seen by exactly the exercise's organizations.
    with world.db.read() as session:
        lessons = exercises.list_lessons(
            session, world.refresh(sides.planner).principal, planned.id
        )
        assert len(lessons) == 1 + parts.count(Part.CONTINGENT)
        for (_, account), part in zip(others, parts, strict=True):
            who = world.refresh(account)
            visible = [x.id for x in exercises.list_exercises(session, who.principal)]
            assert (planned.id in visible) is (part is not None)
        assert all(
            can_see(world.refresh(sides.planner).principal, _row(session, x.id)) for x in lessons
        )


def _row(session: Session, stix_id: str) -> StixObject:
    row = session.scalars(select(StixObject).where(StixObject.stix_id == stix_id)).first()
    assert row is not None
    return row


def test_bad_plans_write_nothing(world: World, sides: Sides, db: Database) -> None:
    before = state(db)
    bad = [
        (_plan([], [], end_time=datetime(2026, 8, 1, tzinfo=UTC)), "ends before it starts"),
        (_plan(["Ministry of Nowhere"], []), "unknown organization 'Ministry of Nowhere'"),
        (_plan([], ["Ministry of Nowhere"]), "unknown organization"),
        (_plan([sides.partner_org.id], [sides.partner_org.name]), "both a contingent"),
        (_plan([sides.partner_org.id, sides.partner_org.name], []), "named twice"),
        (_plan([], [], objectives=[], other_objectives=[" "]), "at least one objective"),
        (
            _plan([], [], phases=[PhaseIn("Late", START, datetime(2026, 8, 30, tzinfo=UTC))]),
            "phase 'Late' ends before it starts",
        ),
    ]
    for plan, words in bad:
        with pytest.raises(Invalid, match=words), world.db.write() as session:
            exercises.plan_exercise(session, sides.planner.principal, plan)
    assert state(db) == before


def _direct(world: World, account: Account, obj: dict[str, object], by_module: bool) -> str:
    with world.db.write() as session:
        result = ingest(session, account.principal, [obj], WriteDefaults(by_module=by_module))
        session.rollback()
    return result.results[0].reason or ""


def test_the_guards_hold_even_for_module_writes(world: World, sides: Sides) -> None:
    with world.db.write() as session:
        planned = exercises.plan_exercise(
            session, sides.planner.principal, _plan([sides.partner_org.id], [])
        )
    planner = world.refresh(sides.planner)
    with world.db.read() as session:
        obj = exercises.stix_of(exercises.exercise_row(session, planner.principal, planned.id))
    both = {
        **obj,
        "modified": stamp(),
        "observer_refs": [sides.partner_org.identity_id],
    }
    assert "both a contingent and an observer" in _direct(world, planner, both, by_module=True)
    assert "exercises module" in _direct(world, planner, both, by_module=False)
