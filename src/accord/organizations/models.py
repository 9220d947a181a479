"""Nodes and the organizations that live on them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db.base import Base, UtcDateTime, new_uuid, utcnow


class OrgKind(enum.StrEnum):
    MEMBER = "member"
    PARTNER = "partner"
    OBSERVER = "observer"
    THIRD_COUNTRY = "third-country"
    INTERNATIONAL_ORGANIZATION = "international-organization"


class Node(Base):
    __tablename__ = "nodes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    is_local: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    url: Mapped[str | None] = mapped_column(Text)
    public_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    kind: Mapped[OrgKind] = mapped_column(
        Enum(
            OrgKind,
            name="org_kind",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
    )
    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    node: Mapped[Node] = relationship(lazy="joined")

    @property
    def identity_id(self) -> str:
        """The STIX identity that stands for this organization (created_by_ref)."""
        return f"identity--{self.id}"

    @property
    def is_local(self) -> bool:
        return self.node.is_local
