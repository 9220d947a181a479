"""Two `accord serve` processes on one database take concurrent writes and lose none.

Both processes write through the one writer lock (db/session.py). Whatever the
interleaving, every bundle is stored exactly once, pk and date_added increase
together, each id has exactly one latest version, and the audit chain holds one
intact entry per stored version. Runs on a SQLite file in WAL mode always, and on
PostgreSQL when ACCORD_TEST_DATABASE_URL names a server.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from accord.audit.models import AuditEntry
from accord.db import make_engine
from accord.intel.models import StixObject
from accord.intel.timestamps import normalize, parse
from tests.e2e.nodes import (
    Node,
    NodeSpec,
    accord_out,
    create_postgres_database,
    drop_postgres_database,
    run_accord,
    running_nodes,
)
from tests.factories import sid

PG_ADMIN_URL = os.environ.get("ACCORD_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])

WORKERS_PER_NODE = 4
BUNDLES_PER_WORKER = 25
OBJECTS_PER_BUNDLE = 20
SHARED = 10  # objects that every worker versions at the same moments
ROUND_EVERY = 5  # bundle j with j % ROUND_EVERY == ROUND_AT carries the next shared version
ROUND_AT = ROUND_EVERY - 1
REPOST_AT = 2  # bundle j with j % ROUND_EVERY == REPOST_AT re-posts bundle j - 1, other node
ROUNDS = BUNDLES_PER_WORKER // ROUND_EVERY
WAIT_SECONDS = 120.0  # bound on each barrier and on the whole run, never reached when healthy
PAGE = 500
WRITER = "ann@north.example"
STRICT_PG_DEFAULT = {"PGOPTIONS": "-c default_transaction_isolation=serializable"}


@dataclass
class Post:
    """One request a worker makes, and what each of its objects must come back as."""

    objects: list[dict[str, Any]]
    to_other_node: bool = False
    barrier_first: bool = False
    expect: dict[str, str] = field(default_factory=dict)  # id -> created / exists
    shared: dict[str, str] = field(default_factory=dict)  # id -> version, created or exists


def _indicator(stix_id: str, name: str, created: datetime, modified: datetime) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id,
        "created": normalize(created),
        "modified": normalize(modified),
        "name": name,
        "pattern": f"[domain-name:value = '{stix_id.removeprefix('indicator--')}.example']",
        "pattern_type": "stix",
        "valid_from": normalize(created),
    }


@dataclass
class Workload:
    """Everything the workers post, built up front so that the expected outcome is known."""

    base: datetime
    shared_ids: list[str]
    posts: list[list[Post]]  # per worker

    @property
    def first(self) -> Post:
        """The shared objects' first version, posted before the workers start."""
        return Post(self.shared_version(0), expect=dict.fromkeys(self.shared_ids, "created"))

    def _objects(self) -> Iterator[dict[str, Any]]:
        yield from self.first.objects
        for worker in self.posts:
            for post in worker:
                yield from post.objects

    @property
    def all_ids(self) -> set[str]:
        return {o["id"] for o in self._objects()}

    @property
    def all_versions(self) -> set[tuple[str, str]]:
        return {(o["id"], o["modified"]) for o in self._objects()}

    def shared_version(self, round_: int) -> list[dict[str, Any]]:
        modified = self.base + timedelta(seconds=round_)
        return [
            _indicator(stix_id, f"Shared indicator {n} v{round_}", self.base, modified)
            for n, stix_id in enumerate(self.shared_ids)
        ]


def _build_workload(workers: int) -> Workload:
    base = datetime.now(UTC) - timedelta(hours=1)
    shared_ids = [sid("indicator") for _ in range(SHARED)]
    load = Workload(base, shared_ids, [])
    versions = {r: load.shared_version(r) for r in range(1, ROUNDS + 1)}
    for w in range(workers):
        posts: list[Post] = []
        for j in range(BUNDLES_PER_WORKER):
            if j % ROUND_EVERY == REPOST_AT:
                again = posts[j - 1].objects
                posts.append(
                    Post(again, to_other_node=True, expect={o["id"]: "exists" for o in again})
                )
                continue
            shared = versions[j // ROUND_EVERY + 1] if j % ROUND_EVERY == ROUND_AT else []
            fresh = [
                _indicator(sid("indicator"), f"Worker {w} bundle {j} object {k}", base, base)
                for k in range(OBJECTS_PER_BUNDLE - len(shared))
            ]
            posts.append(
                Post(
                    fresh + shared,
                    barrier_first=bool(shared),
                    expect={o["id"]: "created" for o in fresh},
                    shared={o["id"]: o["modified"] for o in shared},
                )
            )
        load.posts.append(posts)
    return load


@pytest.fixture(params=BACKENDS)
def e2e_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accord.db'}"
        return
    assert PG_ADMIN_URL is not None
    url = create_postgres_database(PG_ADMIN_URL)
    try:
        yield url
    finally:
        drop_postgres_database(PG_ADMIN_URL, url)


@pytest.fixture
def key(e2e_database_url: str, tmp_path: Path) -> str:
    """`accord init`, two organizations, an analyst and their API key, all by the CLI."""
    cli = partial(accord_out, e2e_database_url, cwd=tmp_path)
    cli("init")
    north = cli("org", "add", "Northern Staff", "--country", "NS")
    east = cli("org", "add", "Eastern Staff", "--country", "ES")
    assert north != east
    cli("user", "add", WRITER, "--org", north, "--role", "analyst")
    return cli("apikey", "create", WRITER)


@pytest.fixture
def nodes(e2e_database_url: str, key: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Two `accord serve` processes on the same database, stopped whatever happens."""
    # A server default stricter than READ COMMITTED must not matter: the engine pins it.
    env = STRICT_PG_DEFAULT if e2e_database_url.startswith("postgresql") else None
    specs = [NodeSpec(e2e_database_url, name, env) for name in ("node-a", "node-b")]
    with running_nodes(specs, tmp_path / "logs") as (a, b):
        yield a, b


def _post(client: httpx.Client, node: Node, key: str, post: Post) -> dict[str, Any]:
    r = client.post(
        "/api/v1/objects?distribution=node",
        json={"type": "bundle", "id": sid("bundle"), "objects": post.objects},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.is_success, f"{node.name}: {r.status_code} {r.text}\n{node.log()}"
    body: dict[str, Any] = r.json()
    return body


def _worker(
    own: Node, other: Node, key: str, posts: list[Post], barrier: threading.Barrier
) -> list[tuple[str, str, str]]:
    """Post every bundle in order; returns (id, version, status) of the shared objects."""
    shared: list[tuple[str, str, str]] = []
    try:
        with own.client() as near, other.client() as far:
            for post in posts:
                if post.barrier_first:
                    barrier.wait()  # every worker posts the same new versions at once
                node, client = (other, far) if post.to_other_node else (own, near)
                body = _post(client, node, key, post)
                for result in body["results"]:
                    stix_id = result["id"]
                    if stix_id in post.shared:
                        assert parse(result["version"]) == parse(post.shared[stix_id]), result
                        assert result["status"] in ("created", "exists"), result
                        version = normalize(parse(result["version"]))
                        shared.append((stix_id, version, result["status"]))
                    else:
                        assert result["status"] == post.expect[stix_id], result
    except BaseException:
        barrier.abort()  # the other workers stop waiting for this one
        raise
    return shared


def _run_workers(nodes: tuple[Node, Node], key: str, load: Workload) -> list[tuple[str, str, str]]:
    workers = len(load.posts)
    barrier = threading.Barrier(workers, timeout=WAIT_SECONDS)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(_worker, nodes[w % 2], nodes[(w + 1) % 2], key, load.posts[w], barrier)
            for w in range(workers)
        ]
        done, pending = wait(futures, timeout=WAIT_SECONDS * (ROUNDS + 1))
    assert not pending, "workers did not finish"
    errors = [e for f in futures if (e := f.exception()) is not None]
    # Report the failure that broke the barrier, not the workers it released.
    errors.sort(key=lambda e: isinstance(e, threading.BrokenBarrierError))
    if errors:
        raise errors[0]
    return [item for f in done for item in f.result()]


def _list(node: Node, key: str, versions: str, expected: int) -> list[dict[str, Any]]:
    """Every object the key may see, following `next` page by page (bounded)."""
    objects: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": PAGE, "versions": versions}
    with node.client() as client:
        for _ in range(expected // PAGE + 3):
            r = client.get(
                "/api/v1/objects", params=params, headers={"Authorization": f"Bearer {key}"}
            )
            assert r.status_code == 200, f"{node.name}: {r.status_code} {r.text}"
            page = r.json()
            objects.extend(page["objects"])
            if not page["more"]:
                return objects
            params["next"] = page["next"]
    raise AssertionError(f"{node.name}: paging did not end after {len(objects)} objects")


def _check_listings(nodes: tuple[Node, Node], key: str, load: Workload) -> None:
    ids = load.all_ids
    versions = load.all_versions
    newest = normalize(load.base + timedelta(seconds=ROUNDS))
    for node in nodes:
        latest = _list(node, key, "latest", len(ids))
        listed = [o["id"] for o in latest]
        assert len(listed) == len(set(listed)), f"{node.name}: duplicates in the listing"
        assert set(listed) == ids, f"{node.name}: {len(ids - set(listed))} missing"
        assert {o["modified"] for o in latest if o["id"] in load.shared_ids} == {newest}
        every = _list(node, key, "all", len(versions))
        pairs = [(o["id"], o["modified"]) for o in every]
        assert len(pairs) == len(set(pairs)), f"{node.name}: duplicate versions listed"
        assert set(pairs) == versions


def _check_database(url: str, load: Workload) -> None:
    sqlite = url.startswith("sqlite")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            o = StixObject
            rows = conn.execute(
                select(o.pk, o.date_added, o.stix_id, o.modified, o.is_latest).order_by(o.pk)
            ).all()
            targets = Counter(
                conn.execute(
                    select(AuditEntry.target).where(AuditEntry.action == "object.write")
                ).scalars()
            )
            journal = conn.execute(text("PRAGMA journal_mode")).scalar() if sqlite else None
    finally:
        engine.dispose()
    if sqlite:
        assert journal == "wal"  # two processes on one file: the WAL setup of engine.py
    assert len(rows) == len(load.all_versions)
    assert {(r.stix_id, r.modified) for r in rows} == load.all_versions
    # Keyset paging relies on it: pk order is date_added order, with no two rows alike.
    ties = [(a.pk, b.pk) for a, b in pairwise(rows) if not a.date_added < b.date_added]
    assert ties == [], f"date_added does not strictly increase with pk at {ties[:5]}"
    latest = Counter(r.stix_id for r in rows if r.is_latest)
    assert set(latest) == load.all_ids
    assert set(latest.values()) == {1}
    newest: dict[str, str] = {}
    for r in rows:
        newest[r.stix_id] = max(newest.get(r.stix_id, r.modified), r.modified)
    assert all(r.modified == newest[r.stix_id] for r in rows if r.is_latest)
    assert sum(targets.values()) == len(rows)
    assert set(targets) == {f"{r.stix_id}@{r.modified}" for r in rows}
    assert set(targets.values()) == {1}


@pytest.mark.slow
def test_two_servers_lose_no_concurrent_write(
    e2e_database_url: str, key: str, nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    load = _build_workload(2 * WORKERS_PER_NODE)
    with nodes[0].client() as client:
        assert _post(client, nodes[0], key, load.first)["created"] == SHARED

    shared = _run_workers(nodes, key, load)

    # Each shared version was posted by every worker and created by exactly one of them.
    created = Counter((i, v) for i, v, status in shared if status == "created")
    posted = Counter((i, v) for i, v, _ in shared)
    assert set(posted.values()) == {2 * WORKERS_PER_NODE}
    assert set(created) == set(posted)
    assert set(created.values()) == {1}
    _check_listings(nodes, key, load)
    _check_database(e2e_database_url, load)
    verified = run_accord(e2e_database_url, "audit", "verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit log intact: ")
