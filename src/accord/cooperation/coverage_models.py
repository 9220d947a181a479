"""Tables of public coverage: releases for the public page, and the e-mail digest.

A release is a row, not a STIX property: it is this node's editorial decision about an
object, not part of the object's content, so it is neither versioned nor federated.
Whether a released object is shown is decided again at every read, on its current
version (accord.sharing.rules.in_public_coverage): a release never widens access.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime, new_uuid


class PublicRelease(Base):
    """An analyst of the owner organization released this object for public coverage."""

    __tablename__ = "public_releases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    stix_id: Mapped[str] = mapped_column(String(128), nullable=False)
    owner_org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True
    )
    version: Mapped[str] = mapped_column(String(32), nullable=False)  # `modified` released
    released_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Strictly increasing (assigned under the writer lock): the digest's cursor.
    released_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, unique=True)

    __table_args__ = (
        UniqueConstraint("stix_id", "owner_org_id", name="uq_public_releases_object"),
    )


class Frequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class DigestSubscriber(Base):
    """A visitor's e-mail address; it receives digests only once confirmed."""

    __tablename__ = "digest_subscribers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    frequency: Mapped[str] = mapped_column(String(8), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The last confirmation or notice mail (at most one per MAIL_INTERVAL per address).
    mailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The newest release the subscriber has had (or their confirmation): the digest's mark.
    seen_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"


class DigestToken(Base):
    """A single-use token sent by mail, kept only as its SHA-256 hash."""

    __tablename__ = "digest_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(
        ForeignKey("digest_subscribers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
