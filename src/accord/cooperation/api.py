"""REST: /api/v1/workgroup, the expert working group. Thin: parse, call the service, render.

404 for an issue or session the caller cannot see, 403 for a step the caller's role
or organization may not take, 409 for a step the issue's status does not allow, 422
for bad input; in every case nothing is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from accord.api.auth import require_principal
from accord.cooperation import records, workgroup
from accord.cooperation.roles import Status, is_chair
from accord.cooperation.schemas import (
    AgendaOut,
    CommentIn,
    CommentOut,
    DecisionIn,
    InitiativeOut,
    ItemIn,
    ItemOut,
    MoveIn,
    SessionIn,
    SessionOut,
    SessionPatch,
    SupportIn,
    WorkgroupOut,
)
from accord.organizations.models import Organization
from accord.sharing.principal import Principal

router = APIRouter(prefix="/workgroup", tags=["working group"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]


def _workgroup(request: Request, session: Session) -> Organization:
    return workgroup.workgroup_org(session, request.app.state.settings.workgroup_org)


@router.get("", response_model=WorkgroupOut, summary="The working group and the caller's part")
def get_workgroup(request: Request, principal: PrincipalDep) -> WorkgroupOut:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        return WorkgroupOut(organization=wg.id, name=wg.name, chair=is_chair(principal, wg))


@router.get("/items", response_model=list[ItemOut], summary="Agenda issues, by priority")
def list_items(
    request: Request,
    principal: PrincipalDep,
    status: Annotated[list[Status] | None, Query(max_length=len(Status))] = None,
) -> list[ItemOut]:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        items = records.list_items(session, principal, wg.id, status or ())
        return [ItemOut.of(i) for i in items]


@router.post("/items", response_model=ItemOut, status_code=201, summary="Propose an issue")
def propose(request: Request, principal: PrincipalDep, body: ItemIn) -> ItemOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        item = workgroup.propose(
            session, principal, wg, body.name, body.description, body.sharing()
        )
        return ItemOut.of(item)


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(request: Request, principal: PrincipalDep, item_id: str) -> ItemOut:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        return ItemOut.of(records.get_item(session, principal, wg.id, item_id))


@router.post(
    "/items/{item_id}/moves",
    response_model=ItemOut,
    summary="Accept, schedule for a session, mark discussed, or withdraw an issue",
)
def move(request: Request, principal: PrincipalDep, item_id: str, body: MoveIn) -> ItemOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        item = workgroup.move(session, principal, wg, item_id, Status(body.to), body.session)
        return ItemOut.of(item)


@router.get("/items/{item_id}/comments", response_model=list[CommentOut])
def list_comments(request: Request, principal: PrincipalDep, item_id: str) -> list[CommentOut]:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        records.item_row(session, principal, wg.id, item_id)
        return [CommentOut.of(c) for c in records.comments(session, principal, wg.id, item_id)]


@router.post("/items/{item_id}/comments", response_model=CommentOut, status_code=201)
def add_comment(
    request: Request, principal: PrincipalDep, item_id: str, body: CommentIn
) -> CommentOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        return CommentOut.of(workgroup.comment(session, principal, wg, item_id, body.text))


@router.put(
    "/items/{item_id}/support",
    response_model=ItemOut,
    summary="Give or change the caller's organization's support for an issue",
)
def put_support(
    request: Request, principal: PrincipalDep, item_id: str, body: SupportIn
) -> ItemOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        item = workgroup.support(session, principal, wg, item_id, body.opinion, body.explanation)
        return ItemOut.of(item)


@router.get(
    "/initiative", response_model=list[InitiativeOut], summary="Issues proposed per organization"
)
def initiative(request: Request, principal: PrincipalDep) -> list[InitiativeOut]:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        return [InitiativeOut.of(i) for i in records.initiative(session, principal, wg.id)]


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(request: Request, principal: PrincipalDep) -> list[SessionOut]:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        return [SessionOut.of(s) for s in records.list_sessions(session, principal, wg.id)]


@router.post("/sessions", response_model=SessionOut, status_code=201, summary="Plan a session")
def create_session(request: Request, principal: PrincipalDep, body: SessionIn) -> SessionOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        created = workgroup.create_session(session, principal, wg, body.fields(), body.sharing())
        return SessionOut.of(created)


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(request: Request, principal: PrincipalDep, session_id: str) -> SessionOut:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        return SessionOut.of(workgroup.get_session(session, principal, wg, session_id))


@router.patch(
    "/sessions/{session_id}",
    response_model=SessionOut,
    summary="Change a session's date, place, participants or minutes",
)
def update_session(
    request: Request, principal: PrincipalDep, session_id: str, body: SessionPatch
) -> SessionOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        changed = workgroup.update_session(session, principal, wg, session_id, body.fields())
        return SessionOut.of(changed)


@router.post(
    "/sessions/{session_id}/decisions",
    response_model=SessionOut,
    status_code=201,
    summary="Record a decision on issues discussed in the session; they become decided",
)
def decide(
    request: Request, principal: PrincipalDep, session_id: str, body: DecisionIn
) -> SessionOut:
    with request.app.state.db.write() as session:
        wg = _workgroup(request, session)
        decided = workgroup.decide(session, principal, wg, session_id, body.statement, body.items)
        return SessionOut.of(decided)


@router.get(
    "/sessions/{session_id}/agenda",
    response_model=AgendaOut,
    summary="The session's agenda: the issues scheduled for it, by priority",
)
def agenda(request: Request, principal: PrincipalDep, session_id: str) -> AgendaOut:
    with request.app.state.db.read() as session:
        wg = _workgroup(request, session)
        wg_session, items = workgroup.agenda(session, principal, wg, session_id)
        return AgendaOut(session=SessionOut.of(wg_session), items=[ItemOut.of(i) for i in items])
