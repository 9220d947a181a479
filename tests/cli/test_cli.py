"""The `accord` command, run as a real subprocess on SQLite and on PostgreSQL.

Each test gets a fresh, empty database: a SQLite file under tmp_path, or (when
ACCORD_TEST_DATABASE_URL names a server) a PostgreSQL database this module creates,
empties before every test and drops at the end. Setup that is not under test goes
through the services in-process; what is under test goes through the command.
"""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from accord.audit.models import AuditEntry
from accord.cli import app
from accord.db.migrate import alembic_config
from accord.identity.models import ApiKey, Role
from accord.identity.service import (
    authenticate_password,
    user_for_api_key,
)
from accord.organizations.models import Node
from accord.organizations.service import find_organization
from accord.sharing.models import SharingGroup
from accord.sharing.service import member_ids
from tests.cli.support import (
    ACCORD,
    ANN,
    BACKENDS,
    BOB,
    OLGA,
    PG_URL,
    Cli,
    _env,
)
from tests.factories import bundle, indicator

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
