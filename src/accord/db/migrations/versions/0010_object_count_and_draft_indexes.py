"""objects: indexes for the home page's counts and drafts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:25:00.000000

`ix_objects_sharing` holds every column the access rules and the home page's counts
read, led by (type, tlp): counting the visible objects by type and level reads this
index alone, never the stored JSON. `ix_objects_owner_state` finds an organization's
drafts of one type without walking all it owns.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_objects_sharing",
        "objects",
        [
            "type",
            "tlp",
            "owner_org_id",
            "is_latest",
            "is_latest_published",
            "published",
            "distribution",
            "sharing_group_id",
            "origin_node_id",
        ],
    )
    op.create_index("ix_objects_owner_state", "objects", ["owner_org_id", "published", "type"])


def downgrade() -> None:
    op.drop_index("ix_objects_owner_state", table_name="objects")
    op.drop_index("ix_objects_sharing", table_name="objects")
