"""public coverage: releases for the public page, e-mail digest subscribers and tokens

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 21:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_releases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("owner_org_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("released_by", sa.String(length=36), nullable=True),
        sa.Column("released_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organizations.id"],
            name=op.f("fk_public_releases_owner_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by"],
            ["users.id"],
            name=op.f("fk_public_releases_released_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_releases")),
        sa.UniqueConstraint("released_at", name=op.f("uq_public_releases_released_at")),
        sa.UniqueConstraint("stix_id", "owner_org_id", name="uq_public_releases_object"),
    )
    op.create_index(
        op.f("ix_public_releases_owner_org_id"), "public_releases", ["owner_org_id"], unique=False
    )
    op.create_index(
        op.f("ix_public_releases_released_by"), "public_releases", ["released_by"], unique=False
    )
    op.create_table(
        "digest_subscribers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("mailed_at", accord.db.base.UtcDateTime(), nullable=True),
        sa.Column("seen_until", accord.db.base.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_digest_subscribers_email")),
    )
    op.create_table(
        "digest_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", accord.db.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["digest_subscribers.id"],
            name=op.f("fk_digest_tokens_subscriber_id_digest_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_digest_tokens")),
    )
    op.create_index(
        op.f("ix_digest_tokens_subscriber_id"), "digest_tokens", ["subscriber_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_digest_tokens_subscriber_id"), table_name="digest_tokens")
    op.drop_table("digest_tokens")
    op.drop_table("digest_subscribers")
    op.drop_index(op.f("ix_public_releases_released_by"), table_name="public_releases")
    op.drop_index(op.f("ix_public_releases_owner_org_id"), table_name="public_releases")
    op.drop_table("public_releases")
