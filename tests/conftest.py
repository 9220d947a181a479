"""One database fixture over SQLite and, when ACCORD_TEST_DATABASE_URL is set, PostgreSQL.

Each worker migrates its own database once (alembic upgrade head); each test starts
from empty tables with only the local node, so tests are isolated and services can
commit as they do in production.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.app import create_app
from accord.db import Database, make_engine
from accord.db.metadata import Base
from accord.db.migrate import upgrade
from accord.organizations.service import ensure_local_node
from accord.settings import Settings
from tests.factories import World
from tests.server import serve_in_thread

PG_URL = os.environ.get("ACCORD_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
KEEP = {"write_lock", "alembic_version"}


def _create_pg_database() -> str:
    assert PG_URL is not None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"accord_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    assert PG_URL is not None
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this worker: its URL."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "accord.db"
        url = f"sqlite:///{path}"
    else:
        url = _create_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if request.param == "postgresql":
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def _database(database_url: str) -> Iterator[Database]:
    db = Database(make_engine(database_url))
    yield db
    db.dispose()


def empty_database(db: Database) -> None:
    """Delete every row but the local node's, which a running server has cached."""
    nodes = Base.metadata.tables["nodes"]
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP]
    with db.engine.begin() as conn:
        for table in tables:
            if table is nodes:
                conn.execute(table.delete().where(nodes.c.is_local.is_(False)))
            elif db.dialect == "postgresql":
                conn.execute(text(f"TRUNCATE {table.name} CASCADE"))
            else:
                conn.execute(table.delete())


@pytest.fixture
def db(_database: Database) -> Database:
    """An empty, migrated database with this node's row: SQLite, then PostgreSQL."""
    empty_database(_database)
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    return _database


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


TEST_BODY_LIMIT = 2 * 1024 * 1024


@pytest.fixture(scope="session")
def live_url(_database: Database) -> Iterator[str]:
    """The whole application served by uvicorn on a loopback port, for this worker."""
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    settings = Settings(database_url="unused://", max_body_bytes=TEST_BODY_LIMIT)
    with serve_in_thread(create_app(settings, _database)) as url:
        yield url


@pytest.fixture
def client(db: Database, live_url: str) -> Iterator[httpx.Client]:
    """An HTTP client of the live server, on a database emptied for this test."""
    with httpx.Client(base_url=live_url, timeout=60) as http:
        yield http
