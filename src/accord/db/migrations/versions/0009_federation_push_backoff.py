"""federation: push backoff (failed pushes in a row, next try)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 22:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(
            sa.Column("push_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("push_retry_at", accord.db.base.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("push_retry_at")
        batch.drop_column("push_failures")
