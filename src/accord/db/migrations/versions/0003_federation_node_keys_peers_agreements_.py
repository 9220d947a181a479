"""federation: node keys, peers, agreements, sync

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:30:27.840074
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("max_tlp", sa.SmallInteger(), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("ended_at", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_agreements_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreements_node_id"), ["node_id"], unique=False)

    op.create_table(
        "node_secrets",
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_node_secrets_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_node_secrets")),
    )
    op.create_table(
        "peers",
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("api_key", sa.Text(), nullable=False),
        sa.Column("added_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_peers_node_id_nodes")),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_peers")),
    )
    op.create_table(
        "sync_refusals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("at", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_sync_refusals_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_refusals")),
    )
    with op.batch_alter_table("sync_refusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_refusals_node_id"), ["node_id"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("cursor", sa.String(length=40), nullable=True),
        sa.Column("last_attempt", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("last_success", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_sync_state_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_sync_state")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("node_id", sa.String(length=36), nullable=True))
        batch_op.alter_column("user_id", existing_type=sa.VARCHAR(length=36), nullable=True)
        batch_op.create_index(batch_op.f("ix_api_keys_node_id"), ["node_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_node_id_nodes"), "nodes", ["node_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_keys_node_id_nodes"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_api_keys_node_id"))
        batch_op.alter_column("user_id", existing_type=sa.VARCHAR(length=36), nullable=False)
        batch_op.drop_column("node_id")

    op.drop_table("sync_state")
    with op.batch_alter_table("sync_refusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_refusals_node_id"))

    op.drop_table("sync_refusals")
    op.drop_table("peers")
    op.drop_table("node_secrets")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_node_id"))

    op.drop_table("agreements")
