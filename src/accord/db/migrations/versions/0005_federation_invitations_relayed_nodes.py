"""federation: node invitations (the handshake) and nodes known through a peer

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 21:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_invitations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("expires_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("used_at", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("node_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_node_invitations_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_invitations")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_node_invitations_key_hash")),
    )
    op.create_table(
        "relayed_nodes",
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("via_node_id", sa.String(length=36), nullable=False),
        sa.Column("learned_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_relayed_nodes_node_id_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["via_node_id"], ["nodes.id"], name=op.f("fk_relayed_nodes_via_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_relayed_nodes")),
    )
    with op.batch_alter_table("relayed_nodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relayed_nodes_via_node_id"), ["via_node_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("relayed_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayed_nodes_via_node_id"))
    op.drop_table("relayed_nodes")
    op.drop_table("node_invitations")
