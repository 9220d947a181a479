"""Alembic environment: uses the engine handed over by accord.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from accord.db.metadata import Base
from accord.intel.search import is_search_schema

config = context.config
engine: Engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Full-text search lives outside the models (FTS5 tables; a tsvector column + GIN).
        include_name=lambda name, _type, _parents: not is_search_schema(name),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
