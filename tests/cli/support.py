"""Running the `accord` command as a real subprocess on SQLite and on PostgreSQL.

Each test gets a fresh, empty database: a SQLite file under tmp_path, or (when
ACCORD_TEST_DATABASE_URL names a server) a PostgreSQL database this module creates,
empties before every test and drops at the end. Setup that is not under test goes
through the services in-process; what is under test goes through the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from accord.audit.models import AuditEntry
from accord.cli import initialize
from accord.db import Database, make_engine
from accord.db.metadata import Base
from accord.identity.models import Role
from accord.identity.service import (
    create_user,
    find_user,
    principal_for_user,
)
from accord.intel.ingest import WriteDefaults, ingest
from accord.organizations.models import OrgKind
from accord.organizations.service import create_organization, find_organization, local_node
from accord.sharing.distribution import Distribution
from tests.factories import PASSWORD

PG_URL = os.environ.get("ACCORD_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# The installed console script when there is one (what users run), else `python -m`.
_SCRIPT = Path(sys.executable).with_name("accord")
ACCORD = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "accord"]
ANN = "ann@north.example"
OLGA = "olga@north.example"
BOB = "bob@east.example"
NOT_COUNTED = {"write_lock", "alembic_version"}


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def value(self) -> str:
        """The one line a script captures; the command must have succeeded."""
        assert self.code == 0, self
        lines = self.stdout.splitlines()
        assert len(lines) == 1, self
        return lines[0]

    @property
    def error(self) -> str:
        """The one `error:` line of a failed command, which printed nothing on stdout."""
        assert self.code != 0, self
        assert "Traceback" not in self.stderr, self.stderr
        assert self.stdout == "", self
        errors = [line for line in self.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, self.stderr
        return errors[0]


def _env(url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return {**env, "ACCORD_DATABASE_URL": url, **(extra or {})}


@dataclass
class Cli:
    url: str
    workdir: Path

    def run(
        self,
        *args: str,
        stdin: bytes = b"",
        url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Run:
        proc = subprocess.run(
            [*ACCORD, *args],
            input=stdin,
            capture_output=True,
            env=_env(url or self.url, env),
            cwd=self.workdir,
            timeout=300,
            check=False,
        )
        return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    @contextmanager
    def db(self) -> Iterator[Database]:
        db = Database(make_engine(self.url))
        try:
            yield db
        finally:
            db.dispose()

    def file(self, name: str, content: Any) -> str:
        path = self.workdir / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)

    # --- setup through the services, for what a test does not exercise itself ---------

    def initialize(self) -> None:
        """What `accord init` does, in-process (the command itself is tested below)."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ACCORD_DATABASE_URL", self.url)
            initialize()

    def add_org(self, name: str) -> str:
        with self.db() as db, db.write() as session:
            return create_organization(session, "test", name, "NS", OrgKind.MEMBER).id

    def add_user(self, email: str, org: str, role: Role = Role.ANALYST) -> None:
        with self.db() as db, db.write() as session:
            create_user(session, "test", email, find_organization(session, org), role, PASSWORD)

    def ingest(self, email: str, objects: list[dict[str, Any]], dist: Distribution) -> None:
        with self.db() as db, db.write() as session:
            principal = principal_for_user(
                session, find_user(session, email), local_node(session).id
            )
            assert ingest(session, principal, objects, WriteDefaults(dist)).ok

    def counts(self) -> dict[str, int]:
        """Rows per table: what "nothing was stored" is checked against."""
        with self.db() as db, db.read() as session:
            return {
                t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables
                if t.name not in NOT_COUNTED
            }

    def audit_count(self) -> int:
        with self.db() as db, db.read() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this module's own, dropped when the module is done."""
    assert PG_URL is not None
    name = f"accord_cli_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_pg(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    """The command against a fresh, uninitialized database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return Cli(f"sqlite:///{tmp_path / 'accord.db'}", tmp_path)
    url: str = request.getfixturevalue("pg_database")
    _empty_pg(url)
    return Cli(url, tmp_path)


@pytest.fixture
def ready(cli: Cli) -> Cli:
    """An initialized database with Northern Staff, its analyst Ann and observer Olga."""
    cli.initialize()
    cli.add_org("Northern Staff")
    cli.add_user(ANN, "Northern Staff")
    cli.add_user(OLGA, "Northern Staff", Role.OBSERVER)
    return cli
