"""Users, API keys and the principal a request acts as."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import pyotp
from sqlalchemy import ColumnElement, CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from accord.audit.models import AuditEntry
from accord.audit.service import append
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.identity.models import ApiKey, Role, User, WebSession
from accord.identity.passwords import (
    MIN_PASSWORD_LENGTH,
    api_key_hash,
    dummy_hash,
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
    if not user.is_active:
        end_web_sessions(session, principal.actor, user.id)
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
        verify_password(dummy_hash(), password)
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


# --- accounts: what people change on their own account, and administrators' resets -------

# The web interface's languages, as users may choose them.
LANGUAGES = frozenset({"en", "ru", "zh"})


class WrongCode(Invalid):
    """A TOTP code that is not valid now, or was accepted once already."""


def _own(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"no user {user_id}")
    return user


def _password_confirmed(session: Session, user: User, password: str) -> bool:
    """Whether `password` is the user's; a wrong one is audited (so the caller must not
    raise afterwards: that would roll the audit entry back)."""
    if verify_password(user.password_hash, password):
        return True
    append(session, f"user:{user.email}", "user.password.failed", user.id)
    return False


def _managed(session: Session, principal: Principal, user_id: str) -> User:
    user = get_user(session, principal, user_id)
    if not can_manage_user(principal, user.org_id, user.role):
        raise Forbidden("you may not change this user")
    return user


def change_password(
    session: Session, user_id: str, current: str, new: str, keep_session: str | None = None
) -> User | None:
    """The user's own change; their other web sessions end (`keep_session` goes on).

    None if `current` is not the user's password: audited, nothing changed.
    """
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if new == current:
        raise Invalid("the new password must differ from the current one")
    user = _own(session, user_id)
    if not _password_confirmed(session, user, current):
        return None
    user.password_hash = hash_password(new)
    actor = f"user:{user.email}"
    append(session, actor, "user.password.change", user.id)
    end_web_sessions(session, actor, user.id, keep=keep_session)
    return user


def reset_password(session: Session, principal: Principal, user_id: str) -> tuple[User, str]:
    """A new random password for a user one manages (shown once); their sessions end."""
    user = _managed(session, principal, user_id)
    password = generate_password()
    user.password_hash = hash_password(password)
    append(session, principal.actor, "user.password.reset", user.id)
    end_web_sessions(session, principal.actor, user.id)
    return user, password


def _accepted_step(user: User, secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if never used."""
    code = code.replace(" ", "")
    totp = pyotp.TOTP(secret)
    if len(code) != totp.digits or not code.isdigit():
        return None
    current = totp.timecode(now)
    last = user.totp_last_step if user.totp_last_step is not None else -1
    for step in (current - 1, current, current + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable_totp(
    session: Session,
    user_id: str,
    secret: str,
    code: str,
    keep_session: str | None = None,
    now: datetime | None = None,
) -> User:
    """Turn on two-step verification once the user proves their app shows `code`."""
    user = _own(session, user_id)
    if user.totp_secret is not None:
        raise Conflict("two-step verification is on already")
    step = _accepted_step(user, secret, code, now or utcnow())
    if step is None:
        raise WrongCode("the code is not correct")
    user.totp_secret = secret
    user.totp_last_step = step
    actor = f"user:{user.email}"
    append(session, actor, "user.totp.enable", user.id)
    end_web_sessions(session, actor, user.id, keep=keep_session)
    return user


def disable_totp(
    session: Session, user_id: str, password: str, keep_session: str | None = None
) -> User | None:
    """None if `password` is not the user's: audited, nothing changed."""
    user = _own(session, user_id)
    if not _password_confirmed(session, user, password):
        return None
    user.totp_secret = None
    actor = f"user:{user.email}"
    append(session, actor, "user.totp.disable", user.id)
    end_web_sessions(session, actor, user.id, keep=keep_session)
    return user


def remove_totp(session: Session, principal: Principal, user_id: str) -> User:
    """For a user who lost their authenticator: they sign in with the password alone."""
    user = _managed(session, principal, user_id)
    if user.totp_secret is not None:
        user.totp_secret = None
        append(session, principal.actor, "user.totp.remove", user.id)
        end_web_sessions(session, principal.actor, user.id)
    return user


def authenticate_totp(
    session: Session, user_id: str, code: str, now: datetime | None = None
) -> User | None:
    """The second step of a sign-in: each code (time step) is accepted once. Audited."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.totp_secret is None:
        return None
    step = _accepted_step(user, user.totp_secret, code, now or utcnow())
    if step is None:
        append(session, f"user:{user.email}", "login.failed", user.id, {"why": "totp"})
        return None
    user.totp_last_step = step
    return user


def set_language(session: Session, user_id: str, language: str | None) -> User:
    """The user's language on every device; None: their browser's."""
    if language is not None and language not in LANGUAGES:
        raise Invalid(
            f"unknown language {language!r}: choose one of {', '.join(sorted(LANGUAGES))}"
        )
    user = _own(session, user_id)
    if user.language != language:
        user.language = language
        append(session, f"user:{user.email}", "user.language", user.id, {"language": language})
    return user


def previous_sign_in(session: Session, user_id: str) -> datetime | None:
    """When the user signed in before the sign-in just audited (the audit log keeps it)."""
    times = session.scalars(
        select(AuditEntry.at)
        .where(AuditEntry.action == "login", AuditEntry.target == user_id)
        .order_by(AuditEntry.seq.desc())
        .limit(2)
    ).all()
    return times[1] if len(times) > 1 else None


# --- web sessions --------------------------------------------------------------------------

SESSION_IDLE = timedelta(hours=8)
SESSION_LIFETIME = timedelta(hours=12)
# last_seen_at is written at most this often per session, so most pages only read.
SESSION_SEEN_RESOLUTION = timedelta(minutes=5)


def session_key(token: str) -> str:
    """The row id of the session whose cookie carries `token` (a 256-bit random string)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _expired(now: datetime) -> ColumnElement[bool]:
    return or_(
        WebSession.last_seen_at < now - SESSION_IDLE - SESSION_SEEN_RESOLUTION,
        WebSession.created_at < now - SESSION_LIFETIME,
    )


def start_web_session(session: Session, user: User, user_agent: str, address: str) -> str:
    """A new signed-in session for `user`; returns the token for the cookie.

    Expired sessions of every user are deleted on the way.
    """
    now = utcnow()
    session.execute(delete(WebSession).where(_expired(now)))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=session_key(token),
            user_id=user.id,
            user_agent=user_agent[:300],
            address=address[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


def web_session_for(session: Session, token: str) -> WebSession | None:
    """The live session of an active user whose cookie carries `token`, or None."""
    if len(token) > 100:
        return None
    found = session.get(WebSession, session_key(token))
    if found is None or not found.user.is_active:
        return None
    now = utcnow()
    if (
        found.last_seen_at < now - SESSION_IDLE - SESSION_SEEN_RESOLUTION
        or found.created_at < now - SESSION_LIFETIME
    ):
        return None
    return found


def needs_seen(found: WebSession) -> bool:
    return found.last_seen_at < utcnow() - SESSION_SEEN_RESOLUTION


def touch_web_session(session: Session, key: str) -> None:
    """Record use, at most once per SESSION_SEEN_RESOLUTION (called in a write session)."""
    now = utcnow()
    session.execute(
        update(WebSession)
        .where(WebSession.id == key, WebSession.last_seen_at < now - SESSION_SEEN_RESOLUTION)
        .values(last_seen_at=now)
    )


def web_sessions_of(session: Session, user_id: str) -> list[WebSession]:
    """The user's sessions, the most recently used first."""
    return list(
        session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user_id, ~_expired(utcnow()))
            .order_by(WebSession.last_seen_at.desc(), WebSession.created_at.desc())
        )
    )


def end_web_session(session: Session, user_id: str, key: str) -> None:
    """The user ends one of their own sessions (another device, say)."""
    found = session.get(WebSession, key) if len(key) == 64 else None
    if found is None or found.user_id != user_id:
        raise NotFound("no such session")
    session.delete(found)
    append(session, f"user:{found.user.email}", "session.end", user_id, {"count": 1})


def end_web_sessions(session: Session, actor: str, user_id: str, keep: str | None = None) -> int:
    """End every web session of the user but `keep` (a session key); audited if any."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    ended = cast(CursorResult[Any], session.execute(query)).rowcount
    if ended:
        append(session, actor, "session.end", user_id, {"count": ended})
    return ended


def sign_out(session: Session, token: str) -> User | None:
    """End the session whose cookie carries `token`; audited as a sign-out."""
    found = session.get(WebSession, session_key(token)) if len(token) <= 100 else None
    if found is None:
        return None
    user = found.user
    session.delete(found)
    append(session, f"user:{user.email}", "logout", user.id)
    return user
