"""The expert working group's pages: the agenda, an issue, the sessions and a session.

Thin: every action calls `accord.cooperation.workgroup`, which holds the rules; what a
page offers a user is read from `accord.cooperation.roles`. A refusal of the service is
shown to the person as it was given, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from accord.cooperation import records, workgroup
from accord.cooperation.records import AgendaItem, WgSession
from accord.cooperation.roles import (
    OPEN_STATUSES,
    STEPS,
    Actor,
    Status,
    is_chair,
    require_participant,
)
from accord.errors import AccordError, Forbidden, Invalid, NotFound
from accord.intel import timestamps
from accord.intel.service import get_versions
from accord.organizations.models import Organization, OrgKind
from accord.organizations.service import list_organizations
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from accord.web.i18n import gettext as _
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import field, org_names, redirect, safe_next, web_router

router = web_router()
MAX_NAME = 500
MAX_TEXT = 100_000
MOVES = (Status.ACCEPTED, Status.SCHEDULED, Status.DISCUSSED, Status.WITHDRAWN)


@dataclass(frozen=True)
class Part:
    """What the signed-in user may do in the working group."""

    chair: bool
    participant: bool
    org_id: str

    def steps(self, item: AgendaItem) -> list[Status]:
        """The moves (not deciding, which is done in a session) the user may make now."""
        allowed: list[Status] = []
        for target in MOVES:
            actors = STEPS.get((item.status, target), frozenset())
            if (Actor.CHAIR in actors and self.chair) or (
                Actor.PROPOSER in actors and self.participant and item.proposed_by == self.org_id
            ):
                allowed.append(target)
        return allowed

    def may_decide(self, item: AgendaItem) -> bool:
        return self.chair and (item.status, Status.DECIDED) in STEPS

    def may_join(self, item: AgendaItem) -> bool:
        """Comment on and support an open issue."""
        return self.participant and item.status in OPEN_STATUSES


def _part(session: Session, me: WebUser, wg: Organization) -> Part:
    try:
        require_participant(me.principal, workgroup.own_org(session, me.principal))
        participant = True
    except Forbidden:
        participant = False
    return Part(is_chair(me.principal, wg), participant, me.org_id)


def _workgroup(request: Request, session: Session) -> Organization | None:
    try:
        return workgroup.workgroup_org(session, request.app.state.settings.workgroup_org)
    except NotFound:
        return None


def _unconfigured(request: Request) -> Response:
    return render(request, "workgroup/none.html", status=404)


def _refused(request: Request, exc: AccordError, back: str) -> Response:
    """The service's reason, shown on the page the person came from."""
    web_session(request).flash("error", exc.detail)
    return redirect(back)


def _act(
    request: Request, back: str, action: Callable[[Session, Organization], Response]
) -> Response:
    """Run one action in one write; a refusal writes nothing and is shown on `back`."""
    try:
        with request.app.state.db.write() as session:
            wg = _workgroup(request, session)
            if wg is None:
                return _unconfigured(request)
            return action(session, wg)
    except NotFound:
        raise
    except AccordError as exc:
        return _refused(request, exc, back)


def _next(form: FormData, default: str) -> str:
    """Where to go after an action: the working-group page it was taken on."""
    wanted = safe_next(field(form, "next"))
    return wanted if wanted == "/workgroup" or wanted.startswith("/workgroup/") else default


def _text(value: str, limit: int, missing: str | None = None) -> str:
    """A text field; `missing` is the message when it is required and empty."""
    if missing is not None and not value:
        raise Invalid(missing)
    if len(value) > limit:
        raise Invalid(_("A text is too long: at most %(limit)s characters.") % {"limit": limit})
    return value


def _day(value: str, bad: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(bad) from None


def _sharing() -> records.Sharing:
    """Every working-group object made on these pages is seen by the whole node."""
    return workgroup.requested_sharing(Distribution.NODE, None, Tlp.NONE)


def _members(session: Session) -> list[Organization]:
    return [o for o in list_organizations(session) if o.kind is OrgKind.MEMBER]


# --- the agenda ----------------------------------------------------------------------


@router.get("/workgroup")
def agenda_page(request: Request, me: Me) -> Response:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        if wg is None:
            return _unconfigured(request)
        part = _part(session, me, wg)
        items = records.list_items(session, me.principal, wg.id)
        sessions = records.list_sessions(session, me.principal, wg.id)
        initiative = records.initiative(session, me.principal, wg.id)
        names = org_names(session)
    by_status = {status: [i for i in items if i.status is status] for status in Status}
    return render(
        request,
        "workgroup/agenda.html",
        {
            "wg": wg,
            "part": part,
            "by_status": by_status,
            "sessions": sessions,
            "session_names": {s.id: s.name for s in sessions},
            "initiative": initiative,
            "names": names,
        },
    )


@router.post("/workgroup/items")
def propose(request: Request, me: Me) -> Response:
    form = form_of(request)

    def run(session: Session, wg: Organization) -> Response:
        name = _text(field(form, "name"), MAX_NAME, _("Give the issue a title."))
        description = _text(field(form, "description"), MAX_TEXT)
        item = workgroup.propose(session, me.principal, wg, name, description, _sharing())
        web_session(request).flash("success", _("The issue has been proposed."))
        return redirect(f"/workgroup/items/{item.id}")

    return _act(request, "/workgroup", run)


# --- an issue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One version of an issue, as its history shows it."""

    modified: str
    status: str
    session_id: str | None


def _history(session: Session, me: WebUser, item_id: str) -> list[Step]:
    rows = get_versions(session, me.principal, item_id)
    steps = []
    for row in rows:
        obj = records.stix_of(row)
        steps.append(Step(obj["modified"], obj["status"], obj.get("session_ref")))
    return steps


@router.get("/workgroup/items/{item_id}")
def item_page(request: Request, me: Me, item_id: str) -> Response:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        if wg is None:
            return _unconfigured(request)
        item = records.get_item(session, me.principal, wg.id, item_id)
        part = _part(session, me, wg)
        context: dict[str, Any] = {
            "wg": wg,
            "item": item,
            "part": part,
            "comments": records.comments(session, me.principal, wg.id, item_id),
            "history": _history(session, me, item_id),
            "sessions": records.list_sessions(session, me.principal, wg.id),
            "names": org_names(session),
        }
    context["session_names"] = {s.id: s.name for s in context["sessions"]}
    context["opinions"] = list(records.SCORES)
    return render(request, "workgroup/item.html", context)


@router.post("/workgroup/items/{item_id}/moves")
def move(request: Request, me: Me, item_id: str) -> Response:
    form = form_of(request)
    back = f"/workgroup/items/{item_id}"

    def run(session: Session, wg: Organization) -> Response:
        wanted = field(form, "to")
        if wanted not in {m.value for m in MOVES}:
            raise Invalid(_("Choose a step the pages offer."))
        target = Status(wanted)
        session_id = field(form, "session") or None
        if target is Status.SCHEDULED and session_id is None:
            raise Invalid(_("Choose the session the issue is scheduled for."))
        workgroup.move(session, me.principal, wg, item_id, target, session_id)
        web_session(request).flash("success", _("The issue has been updated."))
        return redirect(_next(form, back))

    return _act(request, back, run)


@router.post("/workgroup/items/{item_id}/support")
def support(request: Request, me: Me, item_id: str) -> Response:
    form = form_of(request)
    back = f"/workgroup/items/{item_id}"

    def run(session: Session, wg: Organization) -> Response:
        explanation = _text(field(form, "explanation"), MAX_TEXT)
        workgroup.support(session, me.principal, wg, item_id, field(form, "opinion"), explanation)
        web_session(request).flash("success", _("Your organization's support has been recorded."))
        return redirect(_next(form, back))

    return _act(request, back, run)


@router.post("/workgroup/items/{item_id}/comments")
def add_comment(request: Request, me: Me, item_id: str) -> Response:
    form = form_of(request)
    back = f"/workgroup/items/{item_id}"

    def run(session: Session, wg: Organization) -> Response:
        text = _text(field(form, "text"), MAX_TEXT, _("Write the comment."))
        workgroup.comment(session, me.principal, wg, item_id, text)
        web_session(request).flash("success", _("Your comment has been added."))
        return redirect(back)

    return _act(request, back, run)


# --- sessions ------------------------------------------------------------------------


@router.get("/workgroup/sessions")
def sessions_page(request: Request, me: Me) -> Response:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        if wg is None:
            return _unconfigured(request)
        context = {
            "wg": wg,
            "part": _part(session, me, wg),
            "sessions": records.list_sessions(session, me.principal, wg.id),
            "members": _members(session),
        }
    return render(request, "workgroup/sessions.html", context)


@router.post("/workgroup/sessions")
def create_session(request: Request, me: Me) -> Response:
    form = form_of(request)

    def run(session: Session, wg: Organization) -> Response:
        start = _day(field(form, "start"), _("Give the first day of the session as a date."))
        end_text = field(form, "end")
        end = _day(end_text, _("Give the last day as a date.")) if end_text else None
        if end is not None and end < start:
            raise Invalid(_("The last day comes before the first."))
        fields = workgroup.SessionFields(
            name=_text(field(form, "name"), MAX_NAME, _("Give the session a name.")),
            start_time=start,
            end_time=end,
            location=_text(field(form, "location"), MAX_NAME),
            participants=[p for p in form.getlist("participants") if isinstance(p, str)],
        )
        created = workgroup.create_session(session, me.principal, wg, fields, _sharing())
        web_session(request).flash("success", _("The session has been planned."))
        return redirect(f"/workgroup/sessions/{created.id}")

    return _act(request, "/workgroup/sessions", run)


def _decidable(items: list[AgendaItem], wg_session: WgSession) -> list[AgendaItem]:
    return [i for i in items if i.status is Status.DISCUSSED and i.session_id == wg_session.id]


@router.get("/workgroup/sessions/{session_id}")
def session_page(request: Request, me: Me, session_id: str) -> Response:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        if wg is None:
            return _unconfigured(request)
        wg_session, agenda = workgroup.agenda(session, me.principal, wg, session_id)
        discussed = records.list_items(session, me.principal, wg.id, [Status.DISCUSSED])
        decided = records.list_items(session, me.principal, wg.id, [Status.DECIDED])
        context = {
            "wg": wg,
            "part": _part(session, me, wg),
            "wg_session": wg_session,
            "agenda": agenda,
            "discussed": _decidable(discussed, wg_session),
            "item_names": {i.id: i.name for i in [*agenda, *discussed, *decided]},
            "names": org_names(session),
            "start": timestamps.parse(wg_session.start_time),
            "end": timestamps.parse(wg_session.end_time) if wg_session.end_time else None,
        }
    return render(request, "workgroup/session.html", context)


@router.post("/workgroup/sessions/{session_id}/minutes")
def save_minutes(request: Request, me: Me, session_id: str) -> Response:
    form = form_of(request)
    back = f"/workgroup/sessions/{session_id}"

    def run(session: Session, wg: Organization) -> Response:
        minutes = _text(field(form, "minutes"), MAX_TEXT)
        fields = workgroup.SessionFields(minutes=minutes)
        workgroup.update_session(session, me.principal, wg, session_id, fields)
        web_session(request).flash("success", _("The minutes have been saved."))
        return redirect(back)

    return _act(request, back, run)


@router.post("/workgroup/sessions/{session_id}/decisions")
def decide(request: Request, me: Me, session_id: str) -> Response:
    form = form_of(request)
    back = f"/workgroup/sessions/{session_id}"

    def run(session: Session, wg: Organization) -> Response:
        statement = _text(field(form, "statement"), MAX_TEXT, _("Write the decision."))
        items = [i for i in form.getlist("items") if isinstance(i, str)]
        if not items:
            raise Invalid(_("Choose the issues the decision settles."))
        workgroup.decide(session, me.principal, wg, session_id, statement, items)
        web_session(request).flash("success", _("The decision has been recorded."))
        return redirect(back)

    return _act(request, back, run)
