"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 17:32:04.136948
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=250), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)

    op.create_table(
        "nodes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
        sa.UniqueConstraint("name", name=op.f("uq_nodes_name")),
    )
    write_lock = op.create_table(
        "write_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_lock")),
    )
    # The one row every write transaction locks first (accord.db.session).
    op.bulk_insert(write_lock, [{"id": 1, "n": 0}])
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "member",
                "partner",
                "observer",
                "third-country",
                "international-organization",
                name="org_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_organizations_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_node_id"), ["node_id"], unique=False)

    op.create_table(
        "sharing_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_org_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_groups_owner_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_groups")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "org-admin",
                "analyst",
                "contributor",
                "observer",
                name="user_role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_users_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_org_id"), ["org_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("last_used_at", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", accord.db.base.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "objects",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("created", sa.String(length=32), nullable=True),
        sa.Column("modified", sa.String(length=32), nullable=False),
        sa.Column("date_added", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("owner_org_id", sa.String(length=36), nullable=False),
        sa.Column("origin_node_id", sa.String(length=36), nullable=False),
        sa.Column("distribution", sa.String(length=16), nullable=False),
        sa.Column("sharing_group_id", sa.String(length=36), nullable=True),
        sa.Column("tlp", sa.SmallInteger(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("is_latest_published", sa.Boolean(), nullable=False),
        sa.Column("stix", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["origin_node_id"], ["nodes.id"], name=op.f("fk_objects_origin_node_id_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organizations.id"],
            name=op.f("fk_objects_owner_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["sharing_group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_objects_sharing_group_id_sharing_groups"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_objects")),
        sa.UniqueConstraint("date_added", name=op.f("uq_objects_date_added")),
        sa.UniqueConstraint("stix_id", "modified", name="uq_objects_version"),
    )
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objects_owner_org_id"), ["owner_org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_objects_sharing_group_id"), ["sharing_group_id"], unique=False
        )
        batch_op.create_index("ix_objects_stix_id", ["stix_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objects_type"), ["type"], unique=False)

    op.create_table(
        "sharing_group_nodes",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_group_nodes_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_sharing_group_nodes_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("group_id", "node_id", name=op.f("pk_sharing_group_nodes")),
    )
    with op.batch_alter_table("sharing_group_nodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_group_nodes_node_id"), ["node_id"], unique=False
        )

    op.create_table(
        "sharing_group_orgs",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_group_orgs_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_group_orgs_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("group_id", "org_id", name=op.f("pk_sharing_group_orgs")),
    )
    with op.batch_alter_table("sharing_group_orgs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sharing_group_orgs_org_id"), ["org_id"], unique=False)

    op.create_table(
        "object_labels",
        sa.Column(
            "object_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("label", sa.String(length=250), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_pk"],
            ["objects.pk"],
            name=op.f("fk_object_labels_object_pk_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("object_pk", "label", name=op.f("pk_object_labels")),
    )
    with op.batch_alter_table("object_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_object_labels_label"), ["label"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("object_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_object_labels_label"))

    op.drop_table("object_labels")
    with op.batch_alter_table("sharing_group_orgs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_group_orgs_org_id"))

    op.drop_table("sharing_group_orgs")
    with op.batch_alter_table("sharing_group_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_group_nodes_node_id"))

    op.drop_table("sharing_group_nodes")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objects_type"))
        batch_op.drop_index("ix_objects_stix_id")
        batch_op.drop_index(batch_op.f("ix_objects_sharing_group_id"))
        batch_op.drop_index(batch_op.f("ix_objects_owner_org_id"))

    op.drop_table("objects")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_org_id"))

    op.drop_table("users")
    op.drop_table("sharing_groups")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_node_id"))

    op.drop_table("organizations")
    op.drop_table("write_lock")
    op.drop_table("nodes")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
