"""REST: /api/v1/exercises, joint exercises. Thin: parse, call the service, render.

404 for an exercise the caller cannot see, 403 for a write the caller's role or part may
not make (an observer never writes), 409 for a change to a closed plan, 422 for bad
input (dates out of order, unknown organizations); nothing is written then.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from accord.api.auth import require_principal
from accord.cooperation import exercises
from accord.cooperation.exercise_schemas import (
    ContingentBody,
    ExerciseIn,
    ExerciseOut,
    LessonIn,
    LessonOut,
    ObserverBody,
    PhaseBody,
)
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp

router = APIRouter(prefix="/exercises", tags=["exercises"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]


@router.get("", response_model=list[ExerciseOut], summary="The exercises the caller sees")
def list_exercises(request: Request, principal: PrincipalDep) -> list[ExerciseOut]:
    with request.app.state.db.read() as session:
        return [ExerciseOut.of(e) for e in exercises.list_exercises(session, principal)]


@router.post(
    "",
    response_model=ExerciseOut,
    status_code=201,
    summary="Plan an exercise (a sharing group is made for its organizations)",
)
def plan_exercise(request: Request, principal: PrincipalDep, body: ExerciseIn) -> ExerciseOut:
    tlp = Tlp.parse(body.tlp) if body.tlp is not None else Tlp.AMBER
    with request.app.state.db.write() as session:
        return ExerciseOut.of(exercises.plan_exercise(session, principal, body.plan(), tlp))


@router.get("/{exercise_id}", response_model=ExerciseOut)
def get_exercise(request: Request, principal: PrincipalDep, exercise_id: str) -> ExerciseOut:
    with request.app.state.db.read() as session:
        return ExerciseOut.of(exercises.get_exercise(session, principal, exercise_id))


@router.put(
    "/{exercise_id}",
    response_model=ExerciseOut,
    summary="Replan: the whole plan again, as a new version (the planner only)",
)
def update_exercise(
    request: Request, principal: PrincipalDep, exercise_id: str, body: ExerciseIn
) -> ExerciseOut:
    tlp = Tlp.parse(body.tlp) if body.tlp is not None else None
    with request.app.state.db.write() as session:
        changed = exercises.update_exercise(session, principal, exercise_id, body.plan(), tlp)
        return ExerciseOut.of(changed)


@router.post("/{exercise_id}/contingents", response_model=ExerciseOut, summary="Add a contingent")
def add_contingent(
    request: Request, principal: PrincipalDep, exercise_id: str, body: ContingentBody
) -> ExerciseOut:
    with request.app.state.db.write() as session:
        changed = exercises.add_contingent(session, principal, exercise_id, body.given())
        return ExerciseOut.of(changed)


@router.delete(
    "/{exercise_id}/contingents/{organization}",
    response_model=ExerciseOut,
    summary="Remove an organization's contingent",
)
def remove_contingent(
    request: Request, principal: PrincipalDep, exercise_id: str, organization: str
) -> ExerciseOut:
    with request.app.state.db.write() as session:
        changed = exercises.remove_contingent(session, principal, exercise_id, organization)
        return ExerciseOut.of(changed)


@router.post("/{exercise_id}/observers", response_model=ExerciseOut, summary="Add an observer")
def add_observer(
    request: Request, principal: PrincipalDep, exercise_id: str, body: ObserverBody
) -> ExerciseOut:
    with request.app.state.db.write() as session:
        changed = exercises.add_observer(session, principal, exercise_id, body.organization)
        return ExerciseOut.of(changed)


@router.delete(
    "/{exercise_id}/observers/{organization}",
    response_model=ExerciseOut,
    summary="Remove an observer",
)
def remove_observer(
    request: Request, principal: PrincipalDep, exercise_id: str, organization: str
) -> ExerciseOut:
    with request.app.state.db.write() as session:
        changed = exercises.remove_observer(session, principal, exercise_id, organization)
        return ExerciseOut.of(changed)


@router.post("/{exercise_id}/phases", response_model=ExerciseOut, summary="Add a phase")
def add_phase(
    request: Request, principal: PrincipalDep, exercise_id: str, body: PhaseBody
) -> ExerciseOut:
    with request.app.state.db.write() as session:
        changed = exercises.add_phase(session, principal, exercise_id, body.given())
        return ExerciseOut.of(changed)


@router.post(
    "/{exercise_id}/close", response_model=ExerciseOut, summary="Close the exercise's plan"
)
def close_exercise(request: Request, principal: PrincipalDep, exercise_id: str) -> ExerciseOut:
    with request.app.state.db.write() as session:
        return ExerciseOut.of(exercises.close_exercise(session, principal, exercise_id))


@router.get(
    "/{exercise_id}/lessons",
    response_model=list[LessonOut],
    summary="Lessons learned the caller sees, oldest first",
)
def list_lessons(request: Request, principal: PrincipalDep, exercise_id: str) -> list[LessonOut]:
    with request.app.state.db.read() as session:
        return [LessonOut.of(x) for x in exercises.list_lessons(session, principal, exercise_id)]


@router.post(
    "/{exercise_id}/lessons",
    response_model=LessonOut,
    status_code=201,
    summary="Record a lesson learned (a course-of-action or a note, shared as the exercise)",
)
def add_lesson(
    request: Request, principal: PrincipalDep, exercise_id: str, body: LessonIn
) -> LessonOut:
    with request.app.state.db.write() as session:
        lesson = exercises.add_lesson(
            session, principal, exercise_id, body.kind, body.title, body.text
        )
        return LessonOut.of(lesson)
