"""federation: the sending policy last seen in force per peer (sync_state.send_policy)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 01:20:00.000000

`send_policy` is the fingerprint of what may go to a peer, taken at each push round
(federation/egress.py `fingerprint`): the sending agreements in force with their
limits, and the sharing groups that name the peer as a carrier. When it widens, the
peer's push and review cursors start over (federation/sync.py). NULL (every row after
this upgrade) counts as unknown: the first round after it reviews and offers
everything once more, which the peer answers with `exists` for what it has.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("send_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("send_policy")
