"""Full-text search latency at N objects, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.search --size 100000
    ACCORD_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.search --size 100000 --compare-ingest

Builds a fresh database per backend (a temporary SQLite file; a PostgreSQL database
created and dropped on the named server), stores `--size` bench objects through the
real ingest path in-process (one object in 40 gets a Russian or Chinese description),
then times the first page (50) of `intel.service.list_objects` with `q` for a set of
queries, as the owner organization's analyst and as another organization's, which sees
only the published node-wide objects (PostgreSQL is analyzed after the load, as
autovacuum would). `--compare-ingest` also stores the same objects
into a database migrated to the revision before the search index, with ingest's SQLite
index writes (`index_objects`) left out, for the index's cost on writes. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.db import Database, make_engine
from accord.db.migrate import alembic_config, upgrade
from accord.identity.models import Role
from accord.identity.service import create_user, principal_for_user
from accord.intel import service
from accord.intel.ingest import WriteDefaults, ingest
from accord.intel.search import parse
from accord.organizations.models import OrgKind
from accord.organizations.service import create_organization, ensure_local_node
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from bench.data import chunks, generate
from bench.runner import postgres_admin_url

BEFORE_INDEX = "0006"  # the migration before the search index
PAGE = 50
RUSSIAN = "Фишинговая рассылка против операторов связи и логистических центров региона"
CHINESE = "针对港口物流中心的鱼叉式钓鱼攻击，使用无人机侦察仓库和边境检查站"  # noqa: RUF001
QUERIES = {
    "common word": "phishing",
    "two common words": "drone convoy",
    "phrase": '"signal intercept"',
    "rare value": "",  # filled in from the data: one indicator's pattern value
    "label": "logistics",
    "russian word": "операторов",
    "chinese 2 chars": "钓鱼",
    "chinese 4 chars": "钓鱼攻击",
    "no hit": "zeppelin",
    "short term (2 chars)": "c2",
}


def objects(size: int, seed: int) -> list[dict[str, Any]]:
    made = generate(size, seed=seed)
    rng = random.Random(seed)
    for index, obj in enumerate(made):
        if index % 40 == 0 and "description" in obj:
            obj["description"] = rng.choice((RUSSIAN, CHINESE))
    return made


def rare_value(made: Sequence[dict[str, Any]]) -> str:
    pattern = next(o["pattern"] for o in made[len(made) // 2 :] if o["type"] == "indicator")
    return str(pattern.split("'")[-2])


@contextmanager
def database(backend: str, admin_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'search.db'}"
        return
    assert admin_url is not None
    name = f"accord_bench_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def principals(db: Database) -> tuple[Principal, Principal]:
    """An analyst of the owner organization and one of another organization."""
    made: list[Principal] = []
    with db.write() as session:
        node = ensure_local_node(session, "bench")
        for name in ("Owner", "Reader"):
            org = create_organization(session, "bench", f"{name} org", "AA", OrgKind.MEMBER)
            user = create_user(
                session, "bench", f"{name.lower()}@bench.example", org, Role.ANALYST
            ).user
            made.append(principal_for_user(session, user, node.id))
    return made[0], made[1]


def store(db: Database, owner: Principal, made: Sequence[dict[str, Any]]) -> float:
    """Objects/s through `ingest`, published node-wide, in bundles of 5000."""
    started = time.perf_counter()
    for bundle in chunks(made, 5000):
        with db.write() as session:
            result = ingest(session, owner, list(bundle), WriteDefaults(Distribution.NODE))
            if not result.ok:
                raise SystemExit(f"ingest refused objects: {result.results[:3]}")
    return len(made) / (time.perf_counter() - started)


def timings(db: Database, who: Principal, q: str, repeat: int) -> dict[str, float | int]:
    f = service.ObjectFilter(search=parse(q))
    spent: list[float] = []
    hits = 0
    with db.read() as session:
        for _ in range(repeat):
            started = time.perf_counter()
            hits = len(service.list_objects(session, who, f, PAGE).rows)
            spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return {
        "hits_on_first_page": hits,
        "median_ms": round(statistics.median(spent), 2),
        "p95_ms": round(spent[min(len(spent) - 1, int(len(spent) * 0.95))], 2),
    }


def run_backend(
    backend: str, made: list[dict[str, Any]], repeat: int, compare: bool, admin: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if compare:
        with database(backend, admin) as url:
            engine = make_engine(url)
            command.upgrade(alembic_config(engine), BEFORE_INDEX)
            db = Database(engine)
            owner, _ = principals(db)
            with mock.patch("accord.intel.ingest.index_objects"):  # no table to write to
                out["ingest_objects_per_s_without_index"] = round(store(db, owner, made))
            db.dispose()
    with database(backend, admin) as url:
        engine = make_engine(url)
        upgrade(engine)
        db = Database(engine)
        owner, reader = principals(db)
        out["ingest_objects_per_s"] = round(store(db, owner, made))
        if backend == "postgresql":
            with engine.begin() as conn:  # what autovacuum does after a load this size
                conn.execute(text("ANALYZE objects"))
        queries = dict(QUERIES, **{"rare value": rare_value(made)})
        out["queries"] = {
            label: {
                "q": q,
                "owner": timings(db, owner, q, repeat),
                "other_org": timings(db, reader, q, repeat),
            }
            for label, q in queries.items()
        }
        db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--size", type=int, default=100_000)
    args.add_argument("--seed", type=int, default=1)
    args.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    args.add_argument("--compare-ingest", action="store_true")
    options = args.parse_args(argv)
    made = objects(options.size, options.seed)
    admin = postgres_admin_url()
    backends = ["sqlite"] + (["postgresql"] if admin else [])
    report = {
        "size": options.size,
        "page": PAGE,
        "repeat": options.repeat,
        "backends": {
            backend: run_backend(backend, made, options.repeat, options.compare_ingest, admin)
            for backend in backends
        },
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
