"""One bench run: for each size and backend, R fresh Accord nodes (REST, TAXII, bulk import)
and R ceilings; then medallion, the OASIS TAXII 2.1 reference server, on the same data."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import ceiling, taxii
from bench.client import measure
from bench.data import bundles, chunks, envelopes, generate
from bench.ingest import import_seconds, write_bundle
from bench.medallion import running_medallion
from bench.report import (
    ABOVE_CAP,
    CEILING_COPY,
    CEILING_EXECUTEMANY,
    FIRST_PAGE,
    IMPORT,
    MEDALLION,
    PAGED_READ,
    POST,
    TAXII_FIRST_PAGE,
    TAXII_PAGED_READ,
    TAXII_POST,
    Figure,
    add_ratios,
)
from bench.server import USER, fresh_database, provisioned, running_node

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
    first_page_gets: int = 5  # TAXII first-page GETs per Accord run (the median is kept)
    medallion_max: int = 10_000  # larger sizes do not run on medallion
    medallion_repeat: int = 1  # medallion runs per size


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
    bodies: list[bytes]  # the REST POST bodies, one bundle each
    envelopes: list[bytes]  # the TAXII POST bodies, one envelope each
    counts: list[int]  # objects in each bundle and envelope
    rows: list[ceiling.Row]  # what Accord stores for them, for the ceiling
    bundle: Path  # all of them in one bundle file, for `accord import`

    @classmethod
    def build(cls, size: int, chunk: int, seed: int, directory: Path) -> Workload:
        objects = generate(size, seed=seed, chunk=chunk)
        counts = [len(part) for part in chunks(objects, chunk)]
        return cls(
            size,
            bundles(objects, chunk, seed=seed),
            envelopes(objects, chunk),
            counts,
            ceiling.stored_rows(objects),
            write_bundle(directory / f"bundle-{size}.json", objects, seed),
        )


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


def _operation_figures(size: int, backend: str) -> dict[str, Figure]:
    shapes = (
        (POST, "objects/s"),
        (FIRST_PAGE, "ms"),
        (PAGED_READ, "objects/s"),
        (TAXII_POST, "objects/s"),
        (TAXII_FIRST_PAGE, "ms"),
        (TAXII_PAGED_READ, "objects/s"),
        (IMPORT, "objects/s"),
    )
    return {op: Figure(size, backend, op, unit) for op, unit in shapes}


def _taxii_figures(size: int, backend: str) -> dict[str, Figure]:
    shapes = ((TAXII_POST, "objects/s"), (TAXII_FIRST_PAGE, "ms"), (TAXII_PAGED_READ, "objects/s"))
    return {op: Figure(size, backend, op, unit) for op, unit in shapes}


def _add_taxii(figures: dict[str, Figure], size: int, result: taxii.TaxiiRun) -> str:
    """Append one TAXII run to its figures; a summary for the log."""
    figures[TAXII_POST].runs.append(size / result.post_seconds)
    figures[TAXII_FIRST_PAGE].runs.append(result.first_page_seconds * 1000)
    figures[TAXII_PAGED_READ].runs.append(result.objects_read / result.read_seconds)
    return (
        f"TAXII POST {figures[TAXII_POST].runs[-1]:,.0f}/s, "
        f"first page {figures[TAXII_FIRST_PAGE].runs[-1]:.1f} ms, "
        f"read {figures[TAXII_PAGED_READ].runs[-1]:,.0f}/s"
    )


def run_backend(
    config: Config, work: Workload, template: Template, log: Callable[[str], None] = say
) -> list[Figure]:
    """R runs; each serves fresh copies of the template (one for REST, one for TAXII),
    imports into a third, and inserts into fresh ceiling stores."""
    size, backend = work.size, template.backend
    figures = _operation_figures(size, backend)
    ceilings: dict[str, Figure] = {}
    rows = ceiling.sqlite_rows(work.rows) if backend == "sqlite" else work.rows
    for number in range(1, config.repeat + 1):
        with (
            fresh_database(backend, config.postgres_url, template.url) as url,
            running_node(url, template.key) as node,
        ):
            result = measure(node, work.bodies, work.counts)
        figures[POST].runs.append(size / result.post_seconds)
        figures[FIRST_PAGE].runs.append(result.first_page_seconds * 1000)
        figures[PAGED_READ].runs.append(result.objects_read / result.read_seconds)
        line = (
            f"[{size:,}] {backend} run {number}/{config.repeat}: "
            f"POST {figures[POST].runs[-1]:,.0f}/s, "
            f"first page {figures[FIRST_PAGE].runs[-1]:.1f} ms, "
            f"read {figures[PAGED_READ].runs[-1]:,.0f}/s, "
        )
        with (
            fresh_database(backend, config.postgres_url, template.url) as url,
            running_node(url, template.key) as node,
        ):
            target = taxii.accord_target(node, USER)
            line += _add_taxii(
                figures,
                size,
                taxii.measure(target, work.envelopes, work.counts, config.first_page_gets),
            )
        with fresh_database(backend, config.postgres_url, template.url) as url:
            figures[IMPORT].runs.append(size / import_seconds(url, work.bundle, size))
        line += f", import {figures[IMPORT].runs[-1]:,.0f}/s"
        for operation, seconds in _ceiling_runs(config, backend, rows):
            figure = ceilings.setdefault(operation, Figure(size, backend, operation, "objects/s"))
            figure.runs.append(size / seconds)
            line += f", {operation} {figure.runs[-1]:,.0f}/s"
        log(line)
    return [*figures.values(), *ceilings.values()]


def run_medallion(config: Config, work: Workload, log: Callable[[str], None] = say) -> list[Figure]:
    """The TAXII workload on fresh medallion servers, or figures saying it was not run.

    Each of medallion's first-page GETs costs minutes at 10,000 objects, so each run times
    one: the first GET of its full read.
    """
    figures = _taxii_figures(work.size, MEDALLION)
    if work.size > config.medallion_max:
        for figure in figures.values():
            figure.note = ABOVE_CAP
        log(f"[{work.size:,}] medallion {ABOVE_CAP}: --medallion-max {config.medallion_max:,}")
        return list(figures.values())
    for number in range(1, config.medallion_repeat + 1):
        with running_medallion() as server:
            result = taxii.measure(server.target, work.envelopes, work.counts, 1)
        summary = _add_taxii(figures, work.size, result)
        log(f"[{work.size:,}] medallion run {number}/{config.medallion_repeat}: {summary}")
    return list(figures.values())


def run(config: Config, log: Callable[[str], None] = say) -> list[Figure]:
    """Every size on every backend and on medallion; ratios filled in."""
    figures: list[Figure] = []
    with ExitStack() as stack:
        templates = []
        for backend in config.backends:
            log(f"provisioning a {backend} node through the accord CLI")
            url, key = stack.enter_context(provisioned(backend, config.postgres_url))
            templates.append(Template(backend, url, key))
        for size in config.sizes:
            log(f"[{size:,}] generating objects (seed {config.seed}, chunk {config.chunk})")
            with tempfile.TemporaryDirectory(prefix="accord-bench-data-") as directory:
                work = Workload.build(size, config.chunk, config.seed, Path(directory))
                for template in templates:
                    figures += run_backend(config, work, template, log)
                figures += run_medallion(config, work, log)
                del work  # at 1M objects the data is gigabytes
    add_ratios(figures)
    return figures
