"""Every version of every STIX object, with Accord's sharing metadata in columns."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime

# INTEGER on SQLite so the key is the rowid; BIGINT elsewhere.
ObjectPk = BigInteger().with_variant(Integer(), "sqlite")


class StixObject(Base):
    """One immutable version of a STIX object.

    `pk` is assigned under the writer lock and increases with `date_added`, so it is
    the stable keyset order for every listing.
    """

    __tablename__ = "objects"

    pk: Mapped[int] = mapped_column(ObjectPk, primary_key=True, autoincrement=False)
    stix_id: Mapped[str] = mapped_column(String(128), nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    spec_version: Mapped[str] = mapped_column(String(8), nullable=False)
    # Timestamps normalized to YYYY-MM-DDTHH:MM:SS.ffffffZ so text order is time order.
    created: Mapped[str | None] = mapped_column(String(32))
    modified: Mapped[str] = mapped_column(String(32), nullable=False)
    date_added: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, unique=True)
    owner_org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True
    )
    origin_node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), nullable=False)
    distribution: Mapped[str] = mapped_column(String(16), nullable=False)
    sharing_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("sharing_groups.id"), index=True
    )
    tlp: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False)
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The newest version overall (what the owner sees) and the newest published one.
    is_latest: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_latest_published: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # The object exactly as served: STIX content plus Accord's property extension.
    stix: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        # Also the index for every lookup by stix_id (its leading column).
        UniqueConstraint("stix_id", "modified", name="uq_objects_version"),
        # The home page: counts by type and level read this index alone (it holds every
        # column the access rules read); an organization's drafts of one type.
        Index(
            "ix_objects_sharing",
            "type",
            "tlp",
            "owner_org_id",
            "is_latest",
            "is_latest_published",
            "published",
            "distribution",
            "sharing_group_id",
            "origin_node_id",
        ),
        Index("ix_objects_owner_state", "owner_org_id", "published", "type"),
    )


class ObjectLabel(Base):
    __tablename__ = "object_labels"

    object_pk: Mapped[int] = mapped_column(
        ObjectPk, ForeignKey("objects.pk", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(250), primary_key=True, index=True)


# Core tables for bulk inserts on the hot path (the ORM's bulk layer costs ~2x).
OBJECTS = cast(Table, StixObject.__table__)
OBJECT_LABELS = cast(Table, ObjectLabel.__table__)
