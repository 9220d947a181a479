"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime

# Column widths, which the service fits values into before hashing them.
ACTOR_MAX = 200
ACTION_MAX = 64
TARGET_MAX = 250


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX), nullable=False)
    action: Mapped[str] = mapped_column(String(ACTION_MAX), nullable=False, index=True)
    target: Mapped[str] = mapped_column(String(TARGET_MAX), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


AUDIT_LOG = cast(Table, AuditEntry.__table__)
