"""The `accord` command, run as a real subprocess on SQLite and on PostgreSQL.

Each test gets a fresh, empty database: a SQLite file under tmp_path, or (when
ACCORD_TEST_DATABASE_URL names a server) a PostgreSQL database this module creates,
empties before every test and drops at the end. Setup that is not under test goes
through the services in-process; what is under test goes through the command.
"""

from __future__ import annotations

import hashlib
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
import typer
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.engine import make_url
from stix2validator import ValidationOptions, validate_instance

from accord.audit.models import AuditEntry
from accord.cli import app, initialize
from accord.db import Database, make_engine
from accord.db.metadata import Base
from accord.db.migrate import alembic_config
from accord.identity.models import ApiKey, Role
from accord.identity.service import (
    authenticate_password,
    create_api_key,
    create_user,
    find_user,
    principal_for_user,
    user_for_api_key,
)
from accord.intel.extension import EXTENSION_ID
from accord.intel.ingest import WriteDefaults, ingest
from accord.organizations.models import Node, OrgKind
from accord.organizations.service import create_organization, find_organization, local_node
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.service import member_ids
from accord.sharing.tlp import TLP2_IDS, Tlp
from tests.factories import PASSWORD, bundle, indicator, report

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


# --- help --------------------------------------------------------------------------------


def _command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


COMMAND_PATHS = _command_paths()


def test_the_documented_commands_exist() -> None:
    names = {" ".join(p) for p in COMMAND_PATHS}
    documented = {
        "init", "serve", "demo", "import", "export", "org", "org add", "org list", "user",
        "user add", "apikey", "apikey create", "group", "group add", "audit", "audit verify",
    }  # fmt: skip
    assert documented <= names


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "accord")
def test_every_command_has_help(path: tuple[str, ...], tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    proc = subprocess.run(
        [*ACCORD, *path, "--help"],
        capture_output=True,
        env=_env(f"sqlite:///{database}"),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Usage: accord" in proc.stdout
    assert proc.stderr == b""
    assert not database.exists()  # help never touches the database


# --- init --------------------------------------------------------------------------------


def test_init_is_idempotent(cli: Cli) -> None:
    after: list[dict[str, int]] = []
    for _ in range(2):
        run = cli.run("init", env={"ACCORD_NODE_NAME": "north-node"})
        assert run.code == 0, run
        assert run.stdout == ""
        assert "database ready" in run.stderr
        after.append(cli.counts())
    assert after[0] == after[1]  # the second run adds nothing
    with cli.db() as db, db.read() as session:
        nodes = list(session.scalars(select(Node)))
        assert [(n.name, n.is_local) for n in nodes] == [("north-node", True)]
        actions = list(session.scalars(select(AuditEntry.action)))
        assert actions.count("node.init") == 1
        version = session.scalar(text("SELECT version_num FROM alembic_version"))
        heads = ScriptDirectory.from_config(alembic_config(db.engine)).get_heads()
    assert [version] == heads


def test_commands_on_an_uninitialized_database_say_to_run_init(cli: Cli) -> None:
    for args in (
        ["org", "list"],
        ["user", "add", ANN, "--org", "Northern Staff", "--role", "analyst"],
        ["export", "--as", ANN],
        ["audit", "verify"],
    ):
        assert "run `accord init`" in cli.run(*args).error, args


@pytest.fixture(params=BACKENDS)
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}"  # a directory: not a database file
    assert PG_URL is not None
    return (
        make_url(PG_URL)
        .set(database=f"accord_absent_{uuid.uuid4().hex[:12]}")
        .render_as_string(hide_password=False)
    )


def test_a_database_that_cannot_be_opened_is_not_called_uninitialized(
    unreachable_url: str, tmp_path: Path
) -> None:
    run = Cli(unreachable_url, tmp_path).run("init")
    assert run.error.startswith("error: database: ")
    assert "accord init" not in run.error


# --- values on stdout, messages on stderr -----------------------------------------------


def test_org_add_prints_only_the_uuid(cli: Cli) -> None:
    cli.initialize()
    run = cli.run("org", "add", "Northern Staff", "--country", "ns", "--kind", "partner")
    org_id = run.value
    assert str(uuid.UUID(org_id)) == org_id
    assert run.stderr == ""
    assert cli.run("org", "add", "Eastern Staff", "--country", "ES").code == 0
    listing = cli.run("org", "list")
    assert listing.code == 0
    assert f"{org_id}\tNS\tpartner\tNorthern Staff" in listing.stdout.splitlines()
    assert len(listing.stdout.splitlines()) == 2


def test_user_add_prints_only_the_password(cli: Cli) -> None:
    cli.initialize()
    org_id = cli.add_org("Northern Staff")
    by_name = cli.run(
        "user", "add", "Ann@North.example", "--org", "Northern Staff", "--role", "analyst"
    )
    by_id = cli.run("user", "add", BOB, "--org", org_id, "--role", "org-admin")
    for run, email, role in ((by_name, ANN, Role.ANALYST), (by_id, BOB, Role.ORG_ADMIN)):
        password = run.value
        assert len(password) >= 12
        assert email in run.stderr
        assert password not in run.stderr
        with cli.db() as db, db.write() as session:
            user = authenticate_password(session, email, password)
            assert user is not None
            assert (user.role, user.org_id) == (role, org_id)
    assert by_name.value != by_id.value


def test_apikey_create_prints_only_the_key(ready: Cli) -> None:
    run = ready.run("apikey", "create", ANN, "--name", "sync script")
    key = run.value
    assert key.startswith("acc_")
    assert len(key) >= 40
    assert key not in run.stderr
    assert "shown once" in run.stderr
    with ready.db() as db, db.read() as session:
        found = user_for_api_key(session, key)
        assert found is not None
        user, api_key = found
        assert (user.email, api_key.name) == (ANN, "sync script")
        assert api_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
        stored = session.execute(select(ApiKey.__table__)).one()
        assert key not in [str(v) for v in stored]  # only its hash and prefix are kept
    assert ready.run("apikey", "create", ANN).value != key


def test_group_add_prints_only_the_uuid(ready: Cli) -> None:
    east = ready.add_org("Eastern Staff")
    run = ready.run("group", "add", "Drone working group", "--org", "Northern Staff", "--org", east)
    group_id = run.value
    assert str(uuid.UUID(group_id)) == group_id
    assert run.stderr == ""
    with ready.db() as db, db.read() as session:
        north = find_organization(session, "Northern Staff").id
        group = session.get(SharingGroup, group_id)
        assert group is not None
        assert group.owner_org_id == north
        assert member_ids(session, group_id) == {north, east}


# --- bad input: one line, non-zero, nothing stored ---------------------------------------

BAD_INPUT = [
    ("unknown-kind", ["org", "add", "X", "--country", "NS", "--kind", "navy"], "kind 'navy'"),
    ("bad-country", ["org", "add", "X", "--country", "N1"], "two-letter"),
    ("duplicate-org", ["org", "add", "Northern Staff", "--country", "NS"], "exists already"),
    ("unknown-org", ["user", "add", BOB, "--org", "Nowhere", "--role", "analyst"],
     "no organization named 'Nowhere'"),
    ("unknown-role", ["user", "add", BOB, "--org", "Northern Staff", "--role", "chief"],
     "unknown role 'chief'"),
    ("duplicate-email", ["user", "add", "ANN@north.example", "--org", "Northern Staff",
                         "--role", "observer"], "exists already"),
    ("invalid-email", ["user", "add", "ann.north.example", "--org", "Northern Staff", "--role",
                       "analyst"], "not an e-mail address"),
    ("apikey-unknown-user", ["apikey", "create", "nobody@north.example"], "no user"),
    ("group-unknown-org", ["group", "add", "G", "--org", "Northern Staff", "--org", "Nowhere"],
     "no organization"),
    ("import-missing-file", ["import", "missing.json", "--as", ANN], "No such file"),
    ("import-invalid-json", ["import", "broken.json", "--as", ANN], "not valid JSON"),
    ("import-not-a-bundle", ["import", "number.json", "--as", ANN], "expected a STIX bundle"),
    ("import-unknown-user", ["import", "good.json", "--as", "nobody@north.example"], "no user"),
    ("import-as-observer", ["import", "good.json", "--as", OLGA], "may not create"),
    ("import-group-without-id", ["import", "good.json", "--as", ANN, "--distribution", "group"],
     "--sharing-group"),
    ("export-unknown-user", ["export", "--as", "nobody@north.example"], "no user"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_gets_one_error_line(ready: Cli, args: list[str], says: str) -> None:
    ready.file("broken.json", '{"type": "bundle", "objects": [')
    ready.file("number.json", "42")
    ready.file("good.json", bundle(indicator()))
    before = ready.counts()
    run = ready.run(*args)
    assert run.code == 1
    assert run.stderr.splitlines() == [run.error]
    assert says in run.error
    assert ready.counts() == before


USAGE_ERRORS = [
    ("missing-option", ["org", "add", "X"], "Missing option '--country'"),
    ("unknown-command", ["nosuch"], "No such command 'nosuch'"),
    ("bad-port", ["serve", "--port", "70000"], "--port"),
    ("bad-distribution", ["import", "good.json", "--as", ANN, "--distribution", "all"],
     "--distribution"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"), [c[1:] for c in USAGE_ERRORS], ids=[c[0] for c in USAGE_ERRORS]
)
def test_usage_errors_are_one_line_too(ready: Cli, args: list[str], says: str) -> None:
    ready.file("good.json", bundle(indicator()))
    run = ready.run(*args)
    assert run.code == 2
    assert run.stderr.splitlines() == [run.error]
    assert says in run.error


def test_a_bundle_with_a_refused_object_stores_nothing(ready: Cli) -> None:
    good = indicator()
    bad_pattern = indicator(pattern="[ipv4-addr:value = ")
    forged = indicator(created_by_ref=f"identity--{uuid.uuid4()}")
    path = ready.file("mixed.json", bundle(good, bad_pattern, forged))
    before = ready.counts()
    run = ready.run("import", path, "--as", ANN, "--distribution", "node")
    assert run.error == "error: 2 of 3 objects refused; nothing was imported"
    assert any(bad_pattern["id"] in line and "pattern" in line for line in run.stderr.splitlines())
    assert any(
        forged["id"] in line and "created_by_ref" in line for line in run.stderr.splitlines()
    )
    assert ready.counts() == before
    assert before["objects"] == 0


# --- import and export -------------------------------------------------------------------

OPTIONS = ValidationOptions(version="2.1")


def _bundle_of(run: Run) -> dict[str, Any]:
    assert run.code == 0, run
    data: dict[str, Any] = json.loads(run.stdout)
    assert data["type"] == "bundle"
    return data


def _ids(data: dict[str, Any]) -> set[str]:
    return {o["id"] for o in data["objects"]}


def test_import_then_export_round_trips(ready: Cli) -> None:
    ind = indicator(tlp=Tlp.GREEN)
    rep = report([ind["id"]], tlp=Tlp.AMBER)
    source = bundle(ind, rep)
    path = ready.file("bundle.json", source)
    first = ready.run("import", path, "--as", ANN, "--distribution", "node")
    assert (first.code, first.stdout) == (0, "")
    assert "imported 2 new, 0 already present" in first.stderr
    again = ready.run("import", "-", "--as", ANN, stdin=json.dumps(source).encode())
    assert (again.code, again.stdout) == (0, "")
    assert "imported 0 new, 2 already present" in again.stderr

    out = ready.workdir / "visible.json"
    run = ready.run("export", "--as", ANN, "--out", str(out))
    assert (run.code, run.stdout) == (0, "")
    assert "exported 2 objects" in run.stderr
    assert not out.with_name("visible.json.partial").exists()
    data = json.loads(out.read_text())
    assert data["type"] == "bundle"
    by_id = {o["id"]: o for o in data["objects"]}
    with ready.db() as db, db.read() as session:
        north = find_organization(session, "Northern Staff")
    for original in (ind, rep):
        exported = by_id[original["id"]]
        assert {k: exported[k] for k in original} == original
        assert exported["created_by_ref"] == north.identity_id
        assert exported["extensions"][EXTENSION_ID]["distribution"] == "node"
    assert {TLP2_IDS[Tlp.GREEN], TLP2_IDS[Tlp.AMBER]} <= set(by_id)
    assert TLP2_IDS[Tlp.RED] not in by_id
    assert by_id[EXTENSION_ID]["type"] == "extension-definition"
    assert north.identity_id in by_id
    for obj in data["objects"]:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


def test_export_leaves_out_another_organizations_org_objects(ready: Cli) -> None:
    ready.add_org("Eastern Staff")
    ready.add_user(BOB, "Eastern Staff")
    secret, shared = indicator(), indicator()
    assert ready.run("import", ready.file("secret.json", bundle(secret)), "--as", ANN).code == 0
    shared_path = ready.file("shared.json", bundle(shared))
    assert ready.run("import", shared_path, "--as", ANN, "--distribution", "node").code == 0

    bob = ready.run("export", "--as", BOB)
    assert shared["id"] in _ids(_bundle_of(bob))
    assert secret["id"] not in bob.stdout
    assert "exported 1 objects" in bob.stderr
    assert {secret["id"], shared["id"]} <= _ids(_bundle_of(ready.run("export", "--as", ANN)))


def test_export_type_filters(ready: Cli) -> None:
    ind = indicator()
    rep = report([ind["id"]])
    ready.ingest(ANN, [ind, rep], Distribution.ORG)
    only = ready.run("export", "--as", ANN, "--type", "indicator")
    ids = _ids(_bundle_of(only))
    assert ind["id"] in ids
    assert rep["id"] not in ids
    assert "exported 1 objects" in only.stderr
    both = ready.run("export", "--as", ANN, "--type", "indicator", "--type", "report")
    assert {ind["id"], rep["id"]} <= _ids(_bundle_of(both))
    none = ready.run("export", "--as", ANN, "--type", "malware")
    assert not {ind["id"], rep["id"]} & _ids(_bundle_of(none))
    assert "exported 0 objects" in none.stderr


def test_export_to_a_closed_pipe_stops_quietly(ready: Cli) -> None:
    # Far more than a pipe buffer holds, so the command is still writing when we stop.
    ready.ingest(ANN, [indicator() for _ in range(1500)], Distribution.ORG)
    proc = subprocess.Popen(
        [*ACCORD, "export", "--as", ANN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(ready.url),
        cwd=ready.workdir,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    head = proc.stdout.read(10)  # what `accord export | head -c 10` does
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=300) == 141  # what a shell reports for `cat` in a closed pipe
    assert head == b'{"type":"b'
    assert stderr == b""


# --- audit verify ------------------------------------------------------------------------


def _with_history(cli: Cli) -> int:
    """Some audited writes through the services; returns how many entries there are."""
    with cli.db() as db, db.write() as session:
        create_api_key(session, "test", find_user(session, ANN), "one")
    cli.ingest(ANN, [indicator(), indicator()], Distribution.NODE)
    count = cli.audit_count()
    assert count >= 6
    return count


def test_audit_verify_prints_the_count(ready: Cli) -> None:
    count = _with_history(ready)
    run = ready.run("audit", "verify")
    assert run.value == f"audit log intact: {count} entries"


def test_audit_verify_names_an_altered_entry(ready: Cli) -> None:
    count = _with_history(ready)
    seq = count // 2
    with ready.db() as db, db.engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(detail='{"x":1}'))
    assert ready.run("audit", "verify").error == (
        f"error: audit log broken at entry {seq}: entry {seq} was altered"
    )


def test_audit_verify_names_a_missing_entry(ready: Cli) -> None:
    count = _with_history(ready)
    seq = count // 2
    with ready.db() as db, db.engine.begin() as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.seq == seq))
    assert ready.run("audit", "verify").error == (
        f"error: audit log broken at entry {seq}: entry {seq} is missing"
    )


def test_a_misp_event_imports_and_exports_as_valid_stix(ready: Cli) -> None:
    from pymisp import MISPEvent

    event = MISPEvent()
    event.info = "Drone relay seen near the border post"
    event.distribution = 1
    event.add_tag("tlp:green")
    event.add_attribute("ip-dst", "198.51.100.44", to_ids=True)
    event.add_attribute("domain", "relay.example", to_ids=True, distribution=0)
    path = ready.file("event.json", json.loads(event.to_json()))
    run = ready.run("import", path, "--as", ANN)
    assert run.code == 0, run
    exported = _bundle_of(ready.run("export", "--as", ANN))
    reports = [o for o in exported["objects"] if o["type"] == "report"]
    assert [r["name"] for r in reports] == [event.info]
    assert len(reports[0]["object_refs"]) == 2
    for obj in exported["objects"]:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, [str(e) for e in result.errors]
    # The domain had MISP distribution 0 (organization only): another org never gets it.
    ready.add_org("Eastern Staff")
    ready.add_user(BOB, "Eastern Staff")
    other = _bundle_of(ready.run("export", "--as", BOB))
    assert {o.get("name") for o in other["objects"]} >= {event.info, "ip-dst: 198.51.100.44"}
    assert "domain: relay.example" not in {o.get("name") for o in other["objects"]}
