"""Sharing groups: member organizations and the nodes allowed to carry them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db.base import Base, UtcDateTime, new_uuid, utcnow
from accord.organizations.models import Node, Organization

sharing_group_orgs = Table(
    "sharing_group_orgs",
    Base.metadata,
    Column("group_id", ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("organizations.id"), primary_key=True, index=True),
)

sharing_group_nodes = Table(
    "sharing_group_nodes",
    Base.metadata,
    Column("group_id", ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("node_id", ForeignKey("nodes.id"), primary_key=True, index=True),
)


class SharingGroup(Base):
    __tablename__ = "sharing_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    members: Mapped[list[Organization]] = relationship(
        secondary=sharing_group_orgs, lazy="selectin", order_by=Organization.name
    )
    nodes: Mapped[list[Node]] = relationship(
        secondary=sharing_group_nodes, lazy="selectin", order_by=Node.name
    )
