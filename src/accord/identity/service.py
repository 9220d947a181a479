"""Users, API keys and the principal a request acts as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.identity.models import ApiKey, Role, User
from accord.identity.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD_LENGTH,
    api_key_hash,
    generate_api_key,
    generate_password,
    hash_password,
    verify_password,
)
from accord.organizations.models import Node, Organization
from accord.sharing.models import sharing_group_nodes, sharing_group_orgs
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.rules import can_assign_role, can_manage_user, can_manage_users_of

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# last_used_at is written at most this often per key, to keep reads read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise Invalid(f"unknown role {role!r}: choose one of {choices}") from None


def principal_for_user(session: Session, user: User, local_node_id: str) -> Principal:
    groups = session.scalars(
        select(sharing_group_orgs.c.group_id).where(sharing_group_orgs.c.org_id == user.org_id)
    )
    return Principal(
        kind=PrincipalKind.USER,
        id=user.id,
        label=user.email,
        local_node_id=local_node_id,
        org_id=user.org_id,
        role=user.role,
        node_id=user.org.node_id,
        group_ids=frozenset(groups),
    )


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str


def create_user(
    session: Session,
    actor: str,
    email: str,
    org: Organization,
    role: Role,
    password: str | None = None,
) -> NewUser:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise Invalid(f"{email!r} is not an e-mail address")
    if not org.is_local:
        raise Invalid(f"{org.name} lives on another node: its users are managed there")
    if session.scalars(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user with e-mail {email} exists already")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    secret = password or generate_password()
    user = User(email=email, org_id=org.id, role=role, password_hash=hash_password(secret))
    session.add(user)
    session.flush()
    append(
        session, actor, "user.create", user.id, {"email": email, "org": org.id, "role": role.value}
    )
    return NewUser(user, secret)


def add_user(
    session: Session, principal: Principal, email: str, org: Organization, role: Role
) -> NewUser:
    if not can_manage_users_of(principal, org.id):
        raise Forbidden("you may not add users to this organization")
    if not can_assign_role(principal, role):
        raise Forbidden("only a node admin may make node admins")
    return create_user(session, principal.actor, email, org, role)


def users_visible_to(session: Session, principal: Principal) -> list[User]:
    """A node admin lists every user; others list their own organization's."""
    query = select(User).order_by(User.email)
    if principal.role is not Role.ADMIN:
        query = query.where(User.org_id == principal.org_id)
    return list(session.scalars(query))


def get_user(session: Session, principal: Principal, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or (principal.role is not Role.ADMIN and user.org_id != principal.org_id):
        raise NotFound(f"no user {user_id}")
    return user


def update_user(
    session: Session,
    principal: Principal,
    user_id: str,
    role: Role | None = None,
    is_active: bool | None = None,
) -> User:
    user = get_user(session, principal, user_id)
    if not can_manage_users_of(principal, user.org_id):
        raise Forbidden("you may not change users of this organization")
    if not can_manage_user(principal, user.org_id, user.role):
        raise Forbidden("only a node admin may change a node admin")
    if role is not None:
        if not can_assign_role(principal, role):
            raise Forbidden("only a node admin may grant or take the admin role")
        user.role = role
    if is_active is not None:
        if user.id == principal.id and not is_active:
            raise Invalid("you cannot disable your own account")
        user.is_active = is_active
    append(
        session,
        principal.actor,
        "user.update",
        user.id,
        {"role": user.role.value, "is_active": user.is_active},
    )
    return user


def find_user(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    return user


def authenticate_password(session: Session, email: str, password: str) -> User | None:
    """Check a password; audits success and failure. Same cost whether or not the user exists."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        verify_password(DUMMY_HASH, password)
        append(session, f"anonymous:{email[:200]}", "login.failed", email[:200], {"why": "unknown"})
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        append(session, f"user:{user.email}", "login.failed", user.id, {"why": "password"})
        return None
    append(session, f"user:{user.email}", "login", user.id)
    return user


# --- API keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str


def create_api_key(session: Session, actor: str, user: User, name: str = "") -> NewApiKey:
    secret = generate_api_key()
    key = ApiKey(
        user_id=user.id, name=name.strip()[:200], prefix=secret[:12], key_hash=api_key_hash(secret)
    )
    session.add(key)
    session.flush()
    append(session, actor, "apikey.create", key.id, {"user": user.id, "prefix": key.prefix})
    return NewApiKey(key, secret)


def issue_api_key(session: Session, principal: Principal, user_id: str, name: str) -> NewApiKey:
    """A user makes keys for themself; org-admins and admins for the users they manage."""
    user = get_user(session, principal, user_id)
    if user.id != principal.id and not can_manage_user(principal, user.org_id, user.role):
        raise Forbidden("you may not create keys for this user")
    return create_api_key(session, principal.actor, user, name)


def api_keys_visible_to(session: Session, principal: Principal) -> list[ApiKey]:
    query = select(ApiKey).join(User).order_by(ApiKey.created_at)
    if principal.role is Role.ADMIN:
        pass
    elif principal.role is Role.ORG_ADMIN:
        query = query.where(User.org_id == principal.org_id)
    else:
        query = query.where(ApiKey.user_id == principal.id)
    return list(session.scalars(query))


def revoke_api_key(session: Session, principal: Principal, key_id: str) -> ApiKey:
    key = next((k for k in api_keys_visible_to(session, principal) if k.id == key_id), None)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    owner = key.user
    if (
        owner is not None
        and owner.id != principal.id
        and not can_manage_user(principal, owner.org_id, owner.role)
    ):
        raise Forbidden("only a node admin may revoke a node admin's keys")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        append(session, principal.actor, "apikey.revoke", key.id, {"user": key.user_id})
    return key


def _live_key(session: Session, secret: str) -> ApiKey | None:
    if not secret.startswith("acc_") or len(secret) > 200:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.key_hash == api_key_hash(secret))).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def user_for_api_key(session: Session, secret: str) -> tuple[User, ApiKey] | None:
    """The active user an unrevoked user key belongs to, or None."""
    key = _live_key(session, secret)
    if key is None or key.user is None or not key.user.is_active:
        return None
    return key.user, key


def principal_for_node(session: Session, node: Node, local_node_id: str) -> Principal:
    """A peer node reads and writes as itself, never as a user of some organization."""
    groups = session.scalars(
        select(sharing_group_nodes.c.group_id).where(sharing_group_nodes.c.node_id == node.id)
    )
    return Principal(
        kind=PrincipalKind.NODE,
        id=node.id,
        label=node.name,
        local_node_id=local_node_id,
        node_id=node.id,
        group_ids=frozenset(groups),
    )


def principal_for_api_key(
    session: Session, secret: str, local_node_id: str
) -> tuple[Principal, ApiKey] | None:
    """Who an API key speaks for: an active user, or a peer node; None if neither."""
    key = _live_key(session, secret)
    if key is None:
        return None
    if key.user is not None:
        if not key.user.is_active:
            return None
        return principal_for_user(session, key.user, local_node_id), key
    node = session.get(Node, key.node_id) if key.node_id else None
    if node is None or node.is_local:
        return None
    return principal_for_node(session, node, local_node_id), key


def touch_api_key(session: Session, key_id: str) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION (called in a write session)."""
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
    )


def needs_touch(key: ApiKey) -> bool:
    return key.last_used_at is None or key.last_used_at < utcnow() - LAST_USED_RESOLUTION
