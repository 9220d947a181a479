"""Account changes the web pages need that identity.service does not offer yet.

Domain logic, kept small and audited like the rest; it belongs in
accord.identity.service (reported), where the REST API could use it too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEntry
from accord.audit.service import append
from accord.errors import Forbidden, Invalid, NotFound
from accord.identity.models import Role, User
from accord.identity.passwords import (
    MIN_PASSWORD_LENGTH,
    generate_password,
    hash_password,
    verify_password,
)
from accord.identity.service import get_user
from accord.sharing.principal import Principal
from accord.sharing.rules import can_manage_users_of


class WrongPassword(Invalid):
    """The current password given to confirm a change is not the user's."""


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def change_password(session: Session, user_id: str, current: str, new: str) -> User:
    user = _user(session, user_id)
    if not verify_password(user.password_hash, current):
        append(session, f"user:{user.email}", "user.password.failed", user.id)
        raise WrongPassword("the current password is not correct")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if new == current:
        raise Invalid("the new password must differ from the current one")
    user.password_hash = hash_password(new)
    append(session, f"user:{user.email}", "user.password.change", user.id)
    return user


def _managed(session: Session, principal: Principal, user_id: str) -> User:
    user = get_user(session, principal, user_id)
    if not can_manage_users_of(principal, user.org_id):
        raise Forbidden("you may not change users of this organization")
    if user.role is Role.ADMIN and principal.role is not Role.ADMIN:
        raise Forbidden("only a node admin may change a node admin")
    return user


def reset_password(session: Session, principal: Principal, user_id: str) -> tuple[User, str]:
    """A new random password for a user one manages, shown once to the administrator."""
    user = _managed(session, principal, user_id)
    password = generate_password()
    user.password_hash = hash_password(password)
    append(session, principal.actor, "user.password.reset", user.id)
    return user, password


def remove_totp(session: Session, principal: Principal, user_id: str) -> User:
    """For a user who lost their authenticator: they sign in with the password alone."""
    user = _managed(session, principal, user_id)
    if user.totp_secret is not None:
        user.totp_secret = None
        append(session, principal.actor, "user.totp.remove", user.id)
    return user


def enable_totp(session: Session, user_id: str, secret: str) -> User:
    user = _user(session, user_id)
    user.totp_secret = secret
    append(session, f"user:{user.email}", "user.totp.enable", user.id)
    return user


def disable_totp(session: Session, user_id: str, password: str) -> User:
    user = _user(session, user_id)
    if not verify_password(user.password_hash, password):
        append(session, f"user:{user.email}", "user.password.failed", user.id)
        raise WrongPassword("the current password is not correct")
    user.totp_secret = None
    append(session, f"user:{user.email}", "user.totp.disable", user.id)
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
