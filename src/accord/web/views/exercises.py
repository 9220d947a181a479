"""Joint exercises' pages: the list, the plan form, an exercise and its lessons learned.

Thin: every action calls `accord.cooperation.exercises`, which holds the rules (who plans,
who takes part, observers never write). A refused plan re-renders the form with the
service's reason; a refused action on an exercise's page is shown there. Nothing is
written then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from accord.cooperation import exercises
from accord.cooperation.exercises import (
    LESSON_KINDS,
    OBJECTIVES,
    ContingentIn,
    Part,
    PhaseIn,
    Plan,
    Status,
)
from accord.errors import AccordError, Invalid, NotFound
from accord.intel import timestamps
from accord.organizations.service import list_organizations
from accord.sharing.tlp import Tlp
from accord.web import i18n
from accord.web.i18n import N_
from accord.web.i18n import gettext as _
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import field, org_names, redirect, web_router

router = web_router()
SLOTS = 3  # repeated fieldsets for contingents and phases on the plan form
MAX_NAME = 500
MAX_TEXT = 100_000

OBJECTIVE_NAMES: dict[str, str] = {
    "countering-uav": N_("Countering unmanned aerial vehicles"),
    "information-security": N_("Information security"),
    "preventing-cbrn-terrorism": N_(
        "Preventing terrorist attacks with chemical or biological agents"
    ),
    "counter-terrorism-operations": N_("Counter-terrorism operations"),
    "crisis-response": N_("Crisis response"),
}
STATUS_NAMES: dict[str, str] = {
    Status.PLANNED: N_("Planned"),
    Status.CLOSED: N_("Closed"),
}
PART_NAMES: dict[str, str] = {
    Part.PLANNER: N_("Planning organization"),
    Part.CONTINGENT: N_("Contingent"),
    Part.OBSERVER: N_("Observer"),
}
KIND_NAMES: dict[str, str] = {
    "course-of-action": N_("Course of action"),
    "note": N_("Note"),
}
TLP_CHOICES = ("clear", "green", "amber", "amber+strict", "red")


def _day_of(stamp: str | None) -> str:
    """An exercise's or phase's date, as the person's language writes a day."""
    return i18n.day(timestamps.parse(stamp)) if stamp else ""


def _words() -> dict[str, Any]:
    """Translated names the templates show for the codes the data holds."""
    return {
        "day_of": _day_of,
        "objective_names": {code: _(OBJECTIVE_NAMES[code]) for code in OBJECTIVES},
        "status_names": {code: _(name) for code, name in STATUS_NAMES.items()},
        "part_names": {code: _(name) for code, name in PART_NAMES.items()},
        "kind_names": {code: _(name) for code, name in KIND_NAMES.items()},
    }


def _day(value: str, bad: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(bad) from None


def _text(value: str, limit: int, missing: str | None = None) -> str:
    if missing is not None and not value:
        raise Invalid(missing)
    if len(value) > limit:
        raise Invalid(_("A text is too long: at most %(limit)s characters.") % {"limit": limit})
    return value


def _personnel(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise Invalid(_("The size of a contingent is a whole number of people, at least one."))
    return int(value)


def _contingent(form: FormData, prefix: str) -> ContingentIn | None:
    org = field(form, f"{prefix}org")
    if not org:
        return None
    return ContingentIn(
        org,
        _text(field(form, f"{prefix}description"), MAX_TEXT),
        _personnel(field(form, f"{prefix}personnel")),
    )


def _phase(form: FormData, prefix: str) -> PhaseIn | None:
    name = field(form, f"{prefix}name")
    start, end = field(form, f"{prefix}start"), field(form, f"{prefix}end")
    location = field(form, f"{prefix}location")
    if not (name or start or end or location):
        return None
    name = _text(name, MAX_NAME, _("Give each phase a name."))
    return PhaseIn(
        name,
        _day(start, _("Give the first day of phase %(name)s as a date.") % {"name": name}),
        _day(end, _("Give the last day as a date.")) if end else None,
        _text(location, MAX_NAME),
    )


def _plan(form: FormData) -> tuple[Plan, Tlp]:
    """The plan the form gives; bad dates are refused here with the person's words."""
    start = _day(field(form, "start"), _("Give the first day of the exercise as a date."))
    end_text = field(form, "end")
    end = _day(end_text, _("Give the last day as a date.")) if end_text else None
    if end is not None and end < start:
        raise Invalid(_("The exercise's last day comes before its first."))
    contingents = [_contingent(form, f"contingent-{i}-") for i in range(1, SLOTS + 1)]
    phases = [_phase(form, f"phase-{i}-") for i in range(1, SLOTS + 1)]
    for phase in phases:
        if phase is not None and phase.end_time is not None and phase.end_time < phase.start_time:
            raise Invalid(_("Phase %(name)s ends before it starts.") % {"name": phase.name})
    tlp_text = field(form, "tlp") or "amber"
    if tlp_text not in TLP_CHOICES:
        raise Invalid(_("Choose a TLP level the form offers."))
    plan = Plan(
        name=_text(field(form, "name"), MAX_NAME, _("Give the exercise a name.")),
        start_time=start,
        end_time=end,
        description=_text(field(form, "description"), MAX_TEXT),
        objectives=[o for o in form.getlist("objectives") if isinstance(o, str)],
        other_objectives=[line for line in field(form, "other_objectives").splitlines() if line],
        contingents=[c for c in contingents if c is not None],
        observers=[o for o in form.getlist("observers") if isinstance(o, str)],
        phases=[p for p in phases if p is not None],
    )
    return plan, Tlp.parse(tlp_text)


def _others(session: Session, me: WebUser) -> list[Any]:
    return [org for org in list_organizations(session) if org.id != me.org_id]


# --- the list and the plan form ----------------------------------------------------------


@router.get("/exercises")
def list_page(request: Request, me: Me) -> Response:
    with request.app.state.db.read() as session:
        found = exercises.list_exercises(session, me.principal)
        names = org_names(session)
    context = {"exercises": found, "names": names, "me_org": me.org_id, **_words()}
    return render(request, "exercises/list.html", context)


def _form_page(
    request: Request, me: Me, form: FormData, error: str | None = None, status: int = 200
) -> Response:
    with request.app.state.db.read() as session:
        organizations = _others(session, me)
    context = {
        "form": form,
        "error": error,
        "organizations": organizations,
        "slots": range(1, SLOTS + 1),
        "tlps": TLP_CHOICES,
        **_words(),
    }
    return render(request, "exercises/form.html", context, status)


@router.get("/exercises/new")
def plan_form(request: Request, me: Me) -> Response:
    return _form_page(request, me, FormData())


@router.post("/exercises")
def plan_exercise(request: Request, me: Me) -> Response:
    form = form_of(request)
    try:
        plan, tlp = _plan(form)
        with request.app.state.db.write() as session:
            created = exercises.plan_exercise(session, me.principal, plan, tlp)
    except AccordError as exc:
        return _form_page(request, me, form, exc.detail, 422)
    web_session(request).flash("success", _("The exercise has been planned."))
    return redirect(f"/exercises/{created.id}")


# --- an exercise -------------------------------------------------------------------------


@router.get("/exercises/{exercise_id}")
def exercise_page(request: Request, me: Me, exercise_id: str) -> Response:
    with request.app.state.db.read() as session:
        exercise = exercises.get_exercise(session, me.principal, exercise_id)
        lessons = exercises.list_lessons(session, me.principal, exercise_id)
        names = org_names(session)
    part = exercise.part_of(me.org_id)
    taking_part = exercise.organizations
    context = {
        "exercise": exercise,
        "lessons": lessons,
        "names": names,
        "part": part,
        "may_plan": part is Part.PLANNER and me.can_publish and exercise.status is Status.PLANNED,
        "may_learn": part in (Part.PLANNER, Part.CONTINGENT) and me.can_publish,
        "candidates": sorted(
            ((org_id, name) for org_id, name in names.items() if org_id not in taking_part),
            key=lambda pair: pair[1],
        ),
        "lesson_kinds": LESSON_KINDS,
        **_words(),
    }
    return render(request, "exercises/view.html", context)


def _act(request: Request, exercise_id: str, action: Callable[[Session], str]) -> Response:
    """One action in one write; a refusal writes nothing and is shown on the exercise."""
    back = f"/exercises/{exercise_id}"
    try:
        with request.app.state.db.write() as session:
            done = action(session)
    except NotFound:
        raise
    except AccordError as exc:
        web_session(request).flash("error", exc.detail)
        return redirect(back)
    web_session(request).flash("success", done)
    return redirect(back)


@router.post("/exercises/{exercise_id}/lessons")
def add_lesson(request: Request, me: Me, exercise_id: str) -> Response:
    form = form_of(request)

    def run(session: Session) -> str:
        kind = field(form, "kind") or "course-of-action"
        title = _text(field(form, "title"), MAX_NAME, _("Give the lesson a title."))
        text = _text(field(form, "text"), MAX_TEXT, _("Write what was learned."))
        exercises.add_lesson(session, me.principal, exercise_id, kind, title, text)
        return _("The lesson learned has been shared.")

    return _act(request, exercise_id, run)


@router.post("/exercises/{exercise_id}/close")
def close_exercise(request: Request, me: Me, exercise_id: str) -> Response:
    def run(session: Session) -> str:
        exercises.close_exercise(session, me.principal, exercise_id)
        return _("The exercise has been closed.")

    return _act(request, exercise_id, run)


@router.post("/exercises/{exercise_id}/contingents")
def add_contingent(request: Request, me: Me, exercise_id: str) -> Response:
    form = form_of(request)

    def run(session: Session) -> str:
        given = _contingent(form, "")
        if given is None:
            raise Invalid(_("Choose the organization that sends the contingent."))
        exercises.add_contingent(session, me.principal, exercise_id, given)
        return _("The contingent has been added.")

    return _act(request, exercise_id, run)


@router.post("/exercises/{exercise_id}/observers")
def add_observer(request: Request, me: Me, exercise_id: str) -> Response:
    form = form_of(request)

    def run(session: Session) -> str:
        org = field(form, "org")
        if not org:
            raise Invalid(_("Choose the observing organization."))
        exercises.add_observer(session, me.principal, exercise_id, org)
        return _("The observer has been added.")

    return _act(request, exercise_id, run)


@router.post("/exercises/{exercise_id}/phases")
def add_phase(request: Request, me: Me, exercise_id: str) -> Response:
    form = form_of(request)

    def run(session: Session) -> str:
        phase = _phase(form, "")
        if phase is None:
            raise Invalid(_("Give each phase a name."))
        exercises.add_phase(session, me.principal, exercise_id, phase)
        return _("The phase has been added.")

    return _act(request, exercise_id, run)
