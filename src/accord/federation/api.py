"""REST: /api/v1/node (directory, handshake), /api/v1/nodes, /api/v1/agreements."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from accord.api.auth import bearer_secret, require_principal
from accord.api.errors import ApiError
from accord.errors import Forbidden, Invalid
from accord.federation import handshake, service
from accord.federation.schemas import (
    AgreementIn,
    AgreementOut,
    HandshakeIn,
    HandshakeOut,
    NodeOut,
    PeerOut,
    RefusalOut,
    RefusalPage,
    Side,
)
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp

router = APIRouter(tags=["federation"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]


def require_principal_or_invitation(request: Request) -> None:
    """Any principal, or a peer's operator holding a pending invitation key."""
    secret = bearer_secret(request)
    if secret is not None and secret.startswith(handshake.INVITATION_PREFIX):
        with request.app.state.db.read() as session:
            if handshake.live_invitation(session, secret) is None:
                raise Forbidden(handshake.BAD_INVITATION)
        return
    require_principal(request)


def invitation_key(request: Request) -> str:
    """FastAPI dependency: the invitation key sent as the bearer credential."""
    secret = bearer_secret(request)
    if secret is None:
        raise ApiError(401, "send the invitation key: Authorization: Bearer <key>")
    return secret


@router.get(
    "/node",
    response_model=NodeOut,
    dependencies=[Depends(require_principal_or_invitation)],
    summary="This node: id, key, organizations, and the nodes it knows",
)
def get_node(request: Request) -> NodeOut:
    with request.app.state.db.read() as session:
        return NodeOut.of(service.node_info(session))


@router.post(
    "/node/handshake",
    response_model=HandshakeOut,
    summary="A peer introduces itself with an invitation key (one time)",
)
def post_handshake(
    request: Request, body: HandshakeIn, key: Annotated[str, Depends(invitation_key)]
) -> HandshakeOut:
    with request.app.state.db.write() as session:
        answer = handshake.accept(session, key, body.model_dump(mode="json"))
    return HandshakeOut.model_validate(answer)


@router.get("/nodes", response_model=list[PeerOut], summary="Peer nodes and their sync status")
def list_nodes(request: Request, principal: PrincipalDep) -> list[PeerOut]:
    """Per peer: last sync, counts sent, received (and refused on arrival), versions
    withheld from it per reason, the push backoff, and the last error."""
    service.admin_actor(principal)
    with request.app.state.db.read() as session:
        return [PeerOut.of(s) for s in service.peer_statuses(session)]


@router.delete(
    "/nodes/{node}",
    status_code=204,
    summary="Remove a peer: its agreements end, its node keys are revoked",
)
def remove_node(request: Request, principal: PrincipalDep, node: str) -> Response:
    """The peer's organizations and the objects received from it stay."""
    actor = service.admin_actor(principal)
    with request.app.state.db.write() as session:
        service.remove_peer(session, actor, service.find_node(session, node))
    return Response(status_code=204)


@router.get(
    "/nodes/{node}/refusals",
    response_model=RefusalPage,
    summary="Objects that did not cross to or from a peer, and why (newest first)",
)
def list_refusals(
    request: Request,
    principal: PrincipalDep,
    node: str,
    limit: Annotated[int | None, Query(ge=1)] = None,
    next: Annotated[str | None, Query(description="cursor from the previous page")] = None,
    side: Annotated[Side | None, Query(description="only one side (default: both)")] = None,
) -> RefusalPage:
    """`receiving`: objects the peer sent that this node refused on arrival.
    `sending`: versions published here that did not go to the peer: kept by the rules
    (checked once per version and peer, on what changed since the last check: org/node
    versions and those withheld for want of an agreement in force are counted per reason
    in /nodes, not listed here), or refused by the peer when pushed."""
    service.admin_actor(principal)
    settings = request.app.state.settings
    size = min(limit or settings.page_size_default, settings.page_size_max)
    with request.app.state.db.read() as session:
        peer = service.find_node(session, node)
        rows = service.refusals_of(
            session,
            peer,
            size + 1,
            _cursor(next) if next else None,
            side.direction if side else None,
        )
    page = rows[:size]
    more = len(rows) > size
    return RefusalPage(
        refusals=[RefusalOut.of(r) for r in page],
        more=more,
        next=_next_cursor(page[-1].at, page[-1].id) if more else None,
    )


def _next_cursor(at: datetime, refusal_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{refusal_id}".encode()).decode()


def _cursor(text: str) -> tuple[datetime, str]:
    try:
        at, _, refusal_id = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
        return datetime.fromisoformat(at), refusal_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(422, "next is not a cursor this API gave out", "invalid_request") from None


@router.get("/agreements", response_model=list[AgreementOut], summary="Sharing agreements")
def list_agreements(
    request: Request,
    principal: PrincipalDep,
    node: Annotated[str | None, Query(description="only this peer (name or id)")] = None,
) -> list[AgreementOut]:
    service.admin_actor(principal)
    with request.app.state.db.read() as session:
        node_id = service.find_node(session, node).id if node else None
        return [AgreementOut.of(a) for a in service.agreements_of(session, node_id)]


@router.post(
    "/agreements", response_model=AgreementOut, status_code=201, summary="Add an agreement"
)
def add_agreement(request: Request, principal: PrincipalDep, body: AgreementIn) -> AgreementOut:
    actor = service.admin_actor(principal)
    try:
        level = Tlp.parse(body.max_tlp)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    with request.app.state.db.write() as session:
        agreement = service.add_agreement(
            session,
            actor,
            service.find_node(session, body.node),
            max_tlp=level,
            types=body.types,
            labels=body.labels,
            direction=body.direction,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
        )
        return AgreementOut.of(agreement)


@router.post(
    "/agreements/{agreement_id}/end",
    response_model=AgreementOut,
    summary="End an agreement now: nothing more crosses under it",
)
def end_agreement(request: Request, principal: PrincipalDep, agreement_id: str) -> AgreementOut:
    actor = service.admin_actor(principal)
    with request.app.state.db.write() as session:
        return AgreementOut.of(service.end_agreement(session, actor, agreement_id))
