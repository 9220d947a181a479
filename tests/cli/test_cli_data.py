"""The `accord` command: import, export and audit verify, as real subprocesses."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from sqlalchemy import delete, update
from stix2validator import ValidationOptions, validate_instance

from accord.audit.models import AuditEntry
from accord.identity.service import (
    create_api_key,
    find_user,
)
from accord.intel.extension import EXTENSION_ID
from accord.organizations.service import find_organization
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import TLP2_IDS, Tlp
from tests.cli.support import (
    ACCORD,
    ANN,
    BOB,
    Cli,
    Run,
    _env,
)
from tests.factories import bundle, indicator, report

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
