"""Migrations and models agree (alembic check), and init is repeatable."""

from __future__ import annotations

from sqlalchemy import inspect

from accord.db import Database
from accord.db.metadata import Base
from accord.db.migrate import check, upgrade


def test_models_match_migrations(db: Database) -> None:
    check(db.engine)  # raises when autogenerate would find a difference


def test_upgrade_twice_is_harmless(db: Database) -> None:
    upgrade(db.engine)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
