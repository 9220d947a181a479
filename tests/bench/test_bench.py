"""The bench end to end at a tiny size: real `accord` subprocesses, real Accord and medallion
servers, real JSON.

No figure is checked against a threshold: only that each was measured and is positive.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from bench import data, ingest, medallion, report, runner, server, sync, taxii

ROOT = Path(__file__).resolve().parents[2]
PG_URL = runner.postgres_admin_url()  # the same rule the bench follows
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
FIGURE_KEYS = {
    "size",
    "backend",
    "operation",
    "unit",
    "runs",
    "median",
    "min",
    "max",
    "accord_over_ceiling",
    "accord_over_medallion",
    "note",
}
ACCORD_OPERATIONS = (
    report.POST,
    report.FIRST_PAGE,
    report.PAGED_READ,
    *report.TAXII_OPERATIONS,
    report.IMPORT,
)
MS = {report.FIRST_PAGE, report.TAXII_FIRST_PAGE, sync.INCREMENTAL}


def run_bench(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`python -m bench ARGS` from the repository root, as `make bench` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
def test_bench_writes_positive_figures_for_every_backend(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run_bench(
        "--sizes",
        "200",
        "--chunk",
        "50",
        "--repeat",
        "2",
        "--medallion-repeat",
        "2",
        "--first-page-gets",
        "3",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    for operation in (report.POST, report.TAXII_POST, report.IMPORT, report.MEDALLION):
        assert operation in done.stdout
    result = orjson.loads(out.read_bytes())
    assert set(result) >= {
        "config",
        "machine",
        "figures",
        "taxii_first_page_scaling",
        "versus_medallion",
    }
    assert result["config"]["sizes"] == [200]
    assert result["config"]["backends"] == BACKENDS
    assert result["config"]["first_page_gets"] == 3
    assert result["config"]["medallion_max"] == 10_000
    assert result["taxii_first_page_scaling"] == []  # one size: nothing to scale from
    machine = result["machine"]
    assert machine["cpu_count"] >= 1
    assert machine["python"].count(".") == 2
    assert machine["sqlite"].count(".") == 2
    assert (machine["postgresql"] is not None) == (PG_URL is not None)
    assert machine["medallion"] == "3.0.0"

    figures = {(f["backend"], f["operation"]): f for f in result["figures"]}
    expected = {(b, op) for b in BACKENDS for op in ACCORD_OPERATIONS}
    expected |= {(b, report.CEILING_EXECUTEMANY) for b in BACKENDS}
    expected |= {("postgresql", report.CEILING_COPY)} if PG_URL else set()
    expected |= {(report.MEDALLION, op) for op in report.TAXII_OPERATIONS}
    expected |= {(b, op) for b in BACKENDS for op in (sync.FULL, sync.INCREMENTAL)}
    assert set(figures) == expected
    for (backend, operation), f in figures.items():
        assert set(f) == FIGURE_KEYS
        assert f["size"] == 200
        assert f["note"] is None
        assert len(f["runs"]) == 2
        assert all(run > 0 for run in f["runs"])
        assert f["min"] <= f["median"] <= f["max"]
        assert f["unit"] == ("ms" if operation in MS else "objects/s")
        over_ceiling = operation.startswith("ceiling") or operation == report.IMPORT
        assert (f["accord_over_ceiling"] is not None) == over_ceiling
        over_medallion = operation in ACCORD_OPERATIONS and backend != report.MEDALLION
        assert (f["accord_over_medallion"] is not None) == over_medallion
        if over_medallion:
            counterpart = report.MEDALLION_COUNTERPART[operation]
            theirs = figures[(report.MEDALLION, counterpart)]["median"]
            assert f["accord_over_medallion"] == pytest.approx(f["median"] / theirs)
    # Every Accord operation on every backend was compared with medallion.
    assert result["versus_medallion"]["compared"] == len(ACCORD_OPERATIONS) * len(BACKENDS)
    assert "comparisons (Accord/medallion" in done.stdout
    for backend in BACKENDS:
        imported = figures[(backend, report.IMPORT)]
        ceiling = figures[(backend, report.IMPORT_CEILING[backend])]["median"]
        assert imported["accord_over_ceiling"] == pytest.approx(imported["median"] / ceiling)


@pytest.mark.slow
def test_sizes_above_the_medallion_cap_say_so(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run_bench(
        "--sizes",
        "30",
        "--chunk",
        "10",
        "--repeat",
        "1",
        "--backends",
        "sqlite",
        "--medallion-max",
        "20",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert report.ABOVE_CAP in done.stdout
    figures = {(f["backend"], f["operation"]): f for f in orjson.loads(out.read_bytes())["figures"]}
    for operation in report.TAXII_OPERATIONS:
        theirs = figures[(report.MEDALLION, operation)]
        assert theirs["runs"] == []
        assert (theirs["median"], theirs["min"], theirs["max"]) == (None, None, None)
        assert theirs["note"] == report.ABOVE_CAP
    for operation in ACCORD_OPERATIONS:
        mine = figures[("sqlite", operation)]
        assert len(mine["runs"]) == 1
        assert mine["accord_over_medallion"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sizes", "ten"), "sizes must be whole numbers"),
        (("--medallion-max", "-1"), "must be 0 or more"),
        (("--first-page-gets", "0"), "must be at least 1"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = run_bench(*args, "--out", str(tmp_path / "r.json"), timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "r.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_node_serves_a_copy_of_the_template_then_stops(backend: str) -> None:
    with server.provisioned(backend, PG_URL) as (template, key):
        with (
            server.fresh_database(backend, PG_URL, template) as url,
            server.running_node(url, key) as node,
        ):
            me = httpx.get(f"{node.url}/api/v1/me", headers=node.headers, timeout=30)
            assert me.status_code == 200
            assert me.json()["organization_name"] == server.ORG
        assert node.process.returncode is not None
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{node.url}/api/v1/me", headers=node.headers, timeout=5)


def test_unreachable_postgresql_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = dict(os.environ, ACCORD_BENCH_DATABASE_URL="postgresql+psycopg://bench@127.0.0.1:1/x")
    out = str(tmp_path / "r.json")
    done = run_bench("--sizes", "10", "--backends", "postgresql", "--out", out, env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: database: ")
    assert not (tmp_path / "r.json").exists()


def _objects(size: int) -> tuple[list[bytes], list[int]]:
    objects = data.generate(size, seed=5, chunk=10)
    return data.envelopes(objects, 10), [len(part) for part in data.chunks(objects, 10)]


@pytest.mark.slow
def test_medallion_takes_the_workload_then_stops() -> None:
    envelopes, counts = _objects(25)
    with medallion.running_medallion() as reference, reference.target.client(timeout=60) as http:
        path = reference.target.objects_path
        assert taxii.post_all(http, path, envelopes, counts) > 0
        _, _, read = taxii.read_all(http, path, 25)
        assert read == 25
        # The same objects again: medallion refuses each as already present.
        with pytest.raises(server.BenchError, match="0 successes"):
            taxii.post_all(http, path, envelopes[:1], counts[:1])
    assert reference.process.returncode is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(reference.target.url + "/taxii2/", timeout=5)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_accord_taxii_and_import_count_every_object(backend: str, tmp_path: Path) -> None:
    envelopes, counts = _objects(30)
    bundle = ingest.write_bundle(tmp_path / "b.json", data.generate(30, seed=6, chunk=10), 6)
    with server.provisioned(backend, PG_URL) as (template, key):
        with (
            server.fresh_database(backend, PG_URL, template) as url,
            server.running_node(url, key) as node,
        ):
            target = taxii.accord_target(node, server.USER)
            run = taxii.measure(target, envelopes, counts, first_page_gets=2)
            assert run.objects_read == 30
            with (
                target.client(timeout=60) as http,
                pytest.raises(server.BenchError, match="TAXII paged read returned 30"),
            ):
                taxii.read_all(http, target.objects_path, 31)
        with server.fresh_database(backend, PG_URL, template) as url:
            assert ingest.import_seconds(url, bundle, 30) > 0
            # A second import finds everything present: the bench refuses that run.
            with pytest.raises(server.BenchError, match="0 new, 30 already present"):
                ingest.import_seconds(url, bundle, 30)
