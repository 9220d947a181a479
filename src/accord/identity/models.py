"""Users, roles and API keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db.base import Base, UtcDateTime, new_uuid, utcnow
from accord.organizations.models import Organization


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORG_ADMIN = "org-admin"
    ANALYST = "analyst"
    CONTRIBUTOR = "contributor"
    OBSERVER = "observer"


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
    )
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted: a code of that step or an earlier one is refused.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # The web interface's language the user chose (en, ru, zh); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    org: Mapped[Organization] = relationship(lazy="joined")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    # A key belongs to a user, or to a peer node that reads and writes as a node principal.
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    node_id: Mapped[str | None] = mapped_column(ForeignKey("nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # The first characters of the key, shown in listings so a key can be recognized.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    # SHA-256 of the whole key: keys are 256-bit random, so a fast hash is safe.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User | None] = relationship(lazy="joined")


class WebSession(Base):
    """A signed-in browser: the signed cookie carries a random token, this row its hash.

    Deleting the row ends the session at once, on every server process.
    """

    __tablename__ = "web_sessions"

    # SHA-256 of the token in the cookie: the table alone lets nobody sign in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_agent: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, index=True
    )

    user: Mapped[User] = relationship(lazy="joined")
