"""Node-to-node sync: a full sync of N objects from A to B, then 100 changed objects.

Two fresh nodes are set up and connected with the real CLI (`accord init`, `org add`,
`user add`, `apikey create`, `node invite`, `node add`, `agreement add` on each side)
and served by `accord serve`. N objects are POSTed to A with distribution `federation`;
B then pulls them (the engine's `sync.pull`, as `accord sync run` does, timed in this
process so that interpreter start-up is not counted). Then 100 of them get a new version
on A and B pulls again: that figure must not grow with N, since a pull reads only what
was added after its cursor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from accord.db import Database, make_engine
from accord.federation.sync import pull
from accord.intel.models import StixObject
from bench import data
from bench.report import Figure, table, write_json
from bench.runner import Config, say
from bench.server import CLI_TIMEOUT, BenchError, Node, fresh_database, start, stop

CHANGED = 100
SYNC_INTERVAL = "ACCORD_SYNC_INTERVAL"
TYPES = ",".join(kind for _limit, kind in data.MIX)
REQUEST_TIMEOUT = 600.0
FULL = "sync A to B: full"
INCREMENTAL = f"sync A to B: {CHANGED} changed"


@dataclass(frozen=True)
class Site:
    """One bench node: its database, its name, and its served process."""

    name: str
    database_url: str
    node: Node

    def cli(self, *args: str) -> str:
        return accord(self.database_url, self.name, *args)


@dataclass(frozen=True)
class SyncRun:
    full_seconds: float
    received: int
    incremental_seconds: float


def accord(database_url: str, node_name: str, *args: str) -> str:
    env = dict(os.environ, ACCORD_DATABASE_URL=database_url, ACCORD_NODE_NAME=node_name)
    done = subprocess.run(
        [sys.executable, "-m", "accord", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"accord {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _provision(database_url: str, name: str, org: str) -> str:
    """`accord init`, one organization and its analyst; the analyst's API key."""
    accord(database_url, name, "init")
    accord(database_url, name, "org", "add", org, "--country", "BS", "--kind", "member")
    user = f"bench@{name}.example"
    accord(database_url, name, "user", "add", user, "--org", org, "--role", "analyst")
    return accord(database_url, name, "apikey", "create", user, "--name", "bench")


@contextmanager
def _site(backend: str, admin_url: str | None, name: str, org: str, logs: Path) -> Iterator[Site]:
    """A fresh node, provisioned and served until the block ends."""
    with fresh_database(backend, admin_url) as url:
        node = start(url, _provision(url, name, org), logs / f"{name}.log")
        try:
            yield Site(name, url, node)
        finally:
            stop(node)


@contextmanager
def _without_periodic_sync() -> Iterator[None]:
    """Servers started in the block neither sync by themselves nor push on publish.

    Only the timed pull may move objects from A to B; `bench.server.start` passes this
    process's environment on to `accord serve`.
    """
    before = os.environ.get(SYNC_INTERVAL)
    os.environ[SYNC_INTERVAL] = "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ[SYNC_INTERVAL]
        else:
            os.environ[SYNC_INTERVAL] = before


def _connect(a: Site, b: Site) -> None:
    """The README's five commands: B joins A; agreements for every bench type both ways."""
    shown = dict(line.split("\t", 1) for line in a.cli("node", "show").splitlines())
    key = a.cli("node", "invite", b.name)
    b.cli(
        "node", "add", a.name, "--url", a.node.url, "--api-key", key,
        "--fingerprint", shown["fingerprint"], "--public-url", b.node.url,
    )  # fmt: skip
    for site, peer in ((a, b.name), (b, a.name)):
        site.cli(
            "agreement", "add", "--node", peer, "--max-tlp", "amber+strict", "--types", TYPES,
            "--direction", "both", "--from", "2020-01-01", "--until", "2099-12-31",
        )  # fmt: skip


def _post(node: Node, objects: Sequence[dict[str, Any]], chunk: int, seed: int) -> None:
    bodies = data.bundles(objects, chunk, seed=seed)
    headers = {"Content-Type": "application/json", **node.headers}
    with httpx.Client(base_url=node.url, headers=headers, timeout=REQUEST_TIMEOUT) as http:
        for body in bodies:
            r = http.post("/api/v1/objects", params={"distribution": "federation"}, content=body)
            if r.status_code != 201:
                raise BenchError(f"POST to A answered {r.status_code}: {r.text[:500]}")


def changed(objects: Sequence[dict[str, Any]], count: int = CHANGED) -> list[dict[str, Any]]:
    """New versions of the first `count` objects: `modified` one second later."""
    out = []
    for obj in objects[:count]:
        modified = datetime.strptime(obj["modified"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        out.append(obj | {"modified": data.stix_time(modified + timedelta(seconds=1))})
    return out


def _stored(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(StixObject)) or 0)


def _timed_pull(db: Database, node_id: str) -> tuple[float, int]:
    """Seconds for one pull, and how many versions it stored; it must end without error."""
    start_time = time.perf_counter()
    report = pull(db, node_id)
    seconds = time.perf_counter() - start_time
    if report.error:
        raise BenchError(f"sync failed: {report.error}")
    return seconds, report.received


def measure(
    backend: str,
    size: int,
    *,
    admin_url: str | None = None,
    seed: int = 1,
    chunk: int = 5000,
    log: Callable[[str], None] = lambda _line: None,
) -> SyncRun:
    """One full sync of `size` objects A to B, then one of CHANGED new versions."""
    began = time.perf_counter()

    def phase(what: str) -> None:
        log(f"  {what} ({time.perf_counter() - began:.0f} s)")

    objects = data.generate(size, seed=seed, chunk=chunk)
    phase(f"{size:,} objects generated")
    with ExitStack() as stack:
        stack.enter_context(_without_periodic_sync())
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="accord-sync-")))
        a = stack.enter_context(_site(backend, admin_url, "bench-a", "Bench A Staff", logs))
        b = stack.enter_context(_site(backend, admin_url, "bench-b", "Bench B Staff", logs))
        _connect(a, b)
        a_id = dict(line.split("\t", 1) for line in a.cli("node", "show").splitlines())["id"]
        phase("nodes A and B set up and connected")
        _post(a.node, objects, chunk, seed)
        phase(f"{size:,} objects posted to A")
        db = Database(make_engine(b.database_url))
        stack.callback(db.dispose)
        full_seconds, received = _timed_pull(db, a_id)
        phase(f"full sync: {received:,} in {full_seconds:.1f} s")
        if received == 0 or _stored(db) != received:
            raise BenchError(f"B stored {_stored(db)} versions after receiving {received}")
        _post(a.node, changed(objects), chunk, seed + 1)
        incremental_seconds, again = _timed_pull(db, a_id)
        phase(f"incremental sync: {again} in {incremental_seconds * 1000:.0f} ms")
        if again > CHANGED:
            raise BenchError(f"the incremental sync received {again}, more than {CHANGED}")
        return SyncRun(full_seconds, received, incremental_seconds)


def figures(
    sizes: Sequence[int],
    backends: Sequence[str],
    *,
    repeat: int,
    admin_url: str | None,
    seed: int,
    chunk: int,
    log: Callable[[str], None],
) -> list[Figure]:
    """Objects/s of the full sync and seconds of the incremental one, per size and backend."""
    result = []
    for backend in backends:
        for size in sizes:
            full = Figure(size, backend, FULL, "objects/s")
            incremental = Figure(size, backend, INCREMENTAL, "ms")
            for number in range(repeat):
                log(f"sync {backend} {size:,} objects, run {number + 1}/{repeat}")
                run = measure(backend, size, admin_url=admin_url, seed=seed, chunk=chunk, log=log)
                full.runs.append(run.received / run.full_seconds)
                incremental.runs.append(run.incremental_seconds * 1000)
            result += [full, incremental]
    return result


def main(config: Config, log: Callable[[str], None] = say) -> int:
    """`python -m bench --sync`: the sync figures alone, printed and written as JSON."""
    try:
        found = figures(
            config.sizes,
            config.backends,
            repeat=config.repeat,
            admin_url=config.postgres_url,
            seed=config.seed,
            chunk=config.chunk,
            log=log,
        )
    except BenchError as exc:
        log(f"error: {exc}")
        return 1
    print(table(found))
    settings = {
        "sizes": list(config.sizes),
        "repeat": config.repeat,
        "seed": config.seed,
        "chunk": config.chunk,
        "backends": list(config.backends),
        "sync": True,
    }
    write_json(config.out, found, settings, None, None)
    log(f"results written to {config.out}")
    return 0
