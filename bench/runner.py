"""One bench run: for each size and backend, R fresh Accord nodes and R ceilings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import ceiling
from bench.client import measure
from bench.data import bundles, chunks, generate
from bench.report import (
    CEILING_COPY,
    CEILING_EXECUTEMANY,
    FIRST_PAGE,
    PAGED_READ,
    POST,
    Figure,
    add_ratios,
)
from bench.server import fresh_database, provisioned, running_node

PG_ENV = ("ACCORD_BENCH_DATABASE_URL", "ACCORD_TEST_DATABASE_URL")


@dataclass(frozen=True)
class Config:
    sizes: list[int]
    chunk: int
    repeat: int
    seed: int
    backends: list[str]
    out: Path
    postgres_url: str | None


def postgres_admin_url() -> str | None:
    """The PostgreSQL server to create bench databases on, if the environment names one."""
    return next((os.environ[name] for name in PG_ENV if os.environ.get(name)), None)


def postgres_version(admin_url: str) -> str:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Workload:
    """One size's data, built before any clock starts."""

    size: int
    bodies: list[bytes]  # the POST bodies, one bundle each
    counts: list[int]  # objects in each bundle
    rows: list[ceiling.Row]  # what Accord stores for them, for the ceiling

    @classmethod
    def build(cls, size: int, chunk: int, seed: int) -> Workload:
        objects = generate(size, seed=seed, chunk=chunk)
        counts = [len(part) for part in chunks(objects, chunk)]
        return cls(size, bundles(objects, chunk, seed=seed), counts, ceiling.stored_rows(objects))


@dataclass(frozen=True)
class Template:
    """A node provisioned once through the CLI; each run serves a copy of its database."""

    backend: str
    url: str
    key: str


def _ceiling_runs(config: Config, backend: str, rows: list[ceiling.Row]) -> list[tuple[str, float]]:
    """(operation, seconds) for each ceiling of this backend, each on a fresh store."""
    if backend == "sqlite":
        return [(CEILING_EXECUTEMANY, ceiling.sqlite_executemany(rows))]
    out = []
    for operation, copy in ((CEILING_EXECUTEMANY, False), (CEILING_COPY, True)):
        with fresh_database(backend, config.postgres_url) as url:
            out.append((operation, ceiling.postgres_insert(url, rows, copy=copy)))
    return out


def run_backend(
    config: Config, work: Workload, template: Template, log: Callable[[str], None] = say
) -> list[Figure]:
    """R runs, each on a fresh copy of the template and with fresh ceiling stores."""
    size, backend = work.size, template.backend
    post = Figure(size, backend, POST, "objects/s")
    first = Figure(size, backend, FIRST_PAGE, "ms")
    read = Figure(size, backend, PAGED_READ, "objects/s")
    ceilings: dict[str, Figure] = {}
    rows = ceiling.sqlite_rows(work.rows) if backend == "sqlite" else work.rows
    for number in range(1, config.repeat + 1):
        with (
            fresh_database(backend, config.postgres_url, template.url) as url,
            running_node(url, template.key) as node,
        ):
            result = measure(node, work.bodies, work.counts)
        post.runs.append(size / result.post_seconds)
        first.runs.append(result.first_page_seconds * 1000)
        read.runs.append(result.objects_read / result.read_seconds)
        line = (
            f"[{size:,}] {backend} run {number}/{config.repeat}: "
            f"POST {post.runs[-1]:,.0f}/s, first page {first.runs[-1]:.1f} ms, "
            f"read {read.runs[-1]:,.0f}/s"
        )
        for operation, seconds in _ceiling_runs(config, backend, rows):
            figure = ceilings.setdefault(operation, Figure(size, backend, operation, "objects/s"))
            figure.runs.append(size / seconds)
            line += f", {operation} {figure.runs[-1]:,.0f}/s"
        log(line)
    return [post, first, read, *ceilings.values()]


def run(config: Config, log: Callable[[str], None] = say) -> list[Figure]:
    """Every size on every backend; ratios to the ceilings filled in."""
    figures: list[Figure] = []
    with ExitStack() as stack:
        templates = []
        for backend in config.backends:
            log(f"provisioning a {backend} node through the accord CLI")
            url, key = stack.enter_context(provisioned(backend, config.postgres_url))
            templates.append(Template(backend, url, key))
        for size in config.sizes:
            log(f"[{size:,}] generating objects (seed {config.seed}, chunk {config.chunk})")
            work = Workload.build(size, config.chunk, config.seed)
            for template in templates:
                figures += run_backend(config, work, template, log)
            del work  # at 1M objects the data is gigabytes
    add_ratios(figures)
    return figures
