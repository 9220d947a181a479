"""Alembic environment: uses the engine handed over by accord.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from accord.db.metadata import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
