"""federation: sending-side refusals (review cursor, counts per reason)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 23:55:00.000000

`review_cursor` is the local `objects.pk` up to which the sending rules have been
checked for a peer (federation/egress.py `review`); `withheld` and `withheld_reasons`
count the versions that may not go to it, per reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("review_cursor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("withheld", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("withheld_reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("withheld_reasons")
        batch.drop_column("withheld")
        batch.drop_column("review_cursor")
