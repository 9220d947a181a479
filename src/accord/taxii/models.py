"""TAXII collections (named views over the one object store) and status resources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime, new_uuid, utcnow


class Collection(Base):
    """A named view: objects of these types, with one of these labels, in this group.

    Empty `types` / `labels` mean any. Who may read and write is a list of roles.
    """

    __tablename__ = "taxii_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    title: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    alias: Mapped[str | None] = mapped_column(String(100), unique=True)
    types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    sharing_group_id: Mapped[str | None] = mapped_column(ForeignKey("sharing_groups.id"))
    read_roles: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    write_roles: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Status(Base):
    """The result of one POST of objects (TAXII 2.1 section 4.3), kept for days."""

    __tablename__ = "taxii_status"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("taxii_collections.id", ondelete="CASCADE"), nullable=False
    )
    # Who posted: only that principal may read the status.
    principal_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    request_timestamp: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    total_count: Mapped[int] = mapped_column(Integer, nullable=False)
    success_count: Mapped[int] = mapped_column(Integer, nullable=False)
    failure_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # Lists of TAXII status-details objects, as JSON text.
    successes: Mapped[str] = mapped_column(Text, nullable=False)
    failures: Mapped[str] = mapped_column(Text, nullable=False)
