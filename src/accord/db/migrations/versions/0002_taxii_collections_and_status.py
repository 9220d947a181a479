"""taxii collections and status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:44:27.526258
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxii_collections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=True),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("sharing_group_id", sa.String(length=36), nullable=True),
        sa.Column("read_roles", sa.JSON(), nullable=False),
        sa.Column("write_roles", sa.JSON(), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sharing_group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_taxii_collections_sharing_group_id_sharing_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_collections")),
        sa.UniqueConstraint("alias", name=op.f("uq_taxii_collections_alias")),
        sa.UniqueConstraint("title", name=op.f("uq_taxii_collections_title")),
    )
    op.create_table(
        "taxii_status",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("principal_id", sa.String(length=36), nullable=False),
        sa.Column("request_timestamp", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("successes", sa.Text(), nullable=False),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["taxii_collections.id"],
            name=op.f("fk_taxii_status_collection_id_taxii_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_status")),
    )
    with op.batch_alter_table("taxii_status", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_taxii_status_principal_id"), ["principal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_taxii_status_request_timestamp"), ["request_timestamp"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("taxii_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxii_status_request_timestamp"))
        batch_op.drop_index(batch_op.f("ix_taxii_status_principal_id"))

    op.drop_table("taxii_status")
    op.drop_table("taxii_collections")
