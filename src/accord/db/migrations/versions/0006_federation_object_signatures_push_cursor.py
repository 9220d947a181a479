"""federation: signed extensions per object version, push cursor

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 21:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "object_signatures",
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("modified", sa.String(length=32), nullable=False),
        sa.Column("extension", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stix_id", "modified"],
            ["objects.stix_id", "objects.modified"],
            name=op.f("fk_object_signatures_stix_id_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stix_id", "modified", name=op.f("pk_object_signatures")),
    )
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_cursor", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("push_cursor")
    op.drop_table("object_signatures")
