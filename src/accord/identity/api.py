"""REST: /api/v1/me, /api/v1/users, /api/v1/apikeys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from accord.api.auth import require_principal
from accord.identity import service
from accord.identity.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    MeOut,
    NewApiKeyOut,
    NewUserOut,
    UserIn,
    UserOut,
    UserPatch,
)
from accord.organizations.service import get_organization
from accord.sharing.principal import Principal

router = APIRouter(tags=["identity"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]


@router.get("/me", response_model=MeOut)
def me(request: Request, principal: PrincipalDep) -> MeOut:
    with request.app.state.db.read() as session:
        user = service.get_user(session, principal, principal.id)
        return MeOut(
            user=UserOut.of(user),
            organization=user.org_id,
            organization_name=user.org.name,
            sharing_groups=sorted(principal.group_ids),
        )


@router.get("/users", response_model=list[UserOut])
def list_users(request: Request, principal: PrincipalDep) -> list[UserOut]:
    with request.app.state.db.read() as session:
        return [UserOut.of(u) for u in service.users_visible_to(session, principal)]


@router.post("/users", response_model=NewUserOut, status_code=201)
def add_user(request: Request, principal: PrincipalDep, body: UserIn) -> NewUserOut:
    with request.app.state.db.write() as session:
        org = get_organization(session, body.org_id or str(principal.org_id))
        new = service.add_user(session, principal, body.email, org, body.role)
        return NewUserOut(**UserOut.of(new.user).model_dump(), password=new.password)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(request: Request, principal: PrincipalDep, user_id: str) -> UserOut:
    with request.app.state.db.read() as session:
        return UserOut.of(service.get_user(session, principal, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    request: Request, principal: PrincipalDep, user_id: str, body: UserPatch
) -> UserOut:
    with request.app.state.db.write() as session:
        user = service.update_user(session, principal, user_id, body.role, body.is_active)
        return UserOut.of(user)


@router.get("/apikeys", response_model=list[ApiKeyOut])
def list_keys(request: Request, principal: PrincipalDep) -> list[ApiKeyOut]:
    with request.app.state.db.read() as session:
        return [ApiKeyOut.of(k) for k in service.api_keys_visible_to(session, principal)]


@router.post("/apikeys", response_model=NewApiKeyOut, status_code=201)
def create_key(request: Request, principal: PrincipalDep, body: ApiKeyIn) -> NewApiKeyOut:
    with request.app.state.db.write() as session:
        new = service.issue_api_key(session, principal, body.user_id or principal.id, body.name)
        return NewApiKeyOut(**ApiKeyOut.of(new.key).model_dump(), key=new.secret)


@router.delete("/apikeys/{key_id}", response_model=ApiKeyOut)
def revoke_key(request: Request, principal: PrincipalDep, key_id: str) -> ApiKeyOut:
    with request.app.state.db.write() as session:
        return ApiKeyOut.of(service.revoke_api_key(session, principal, key_id))
