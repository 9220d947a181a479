"""The bench end to end at a tiny size: real `accord` subprocesses, real servers, real JSON.

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

from bench import report, runner, server

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
}


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
    done = run_bench("--sizes", "200", "--chunk", "50", "--repeat", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "POST /api/v1/objects" in done.stdout
    result = orjson.loads(out.read_bytes())
    assert set(result) >= {"config", "machine", "figures"}
    assert result["config"]["sizes"] == [200]
    assert result["config"]["backends"] == BACKENDS
    machine = result["machine"]
    assert machine["cpu_count"] >= 1
    assert machine["python"].count(".") == 2
    assert machine["sqlite"].count(".") == 2
    assert (machine["postgresql"] is not None) == (PG_URL is not None)

    figures = {(f["backend"], f["operation"]): f for f in result["figures"]}
    expected = {
        (b, op) for b in BACKENDS for op in (report.POST, report.FIRST_PAGE, report.PAGED_READ)
    }
    expected |= {(b, report.CEILING_EXECUTEMANY) for b in BACKENDS}
    expected |= {("postgresql", report.CEILING_COPY)} if PG_URL else set()
    assert set(figures) == expected
    for (_, operation), f in figures.items():
        assert set(f) == FIGURE_KEYS
        assert f["size"] == 200
        assert len(f["runs"]) == 2
        assert all(run > 0 for run in f["runs"])
        assert f["min"] <= f["median"] <= f["max"]
        assert f["unit"] == ("ms" if operation == report.FIRST_PAGE else "objects/s")
        has_ratio = operation.startswith("ceiling")
        assert (f["accord_over_ceiling"] is not None) == has_ratio
        if has_ratio:
            assert f["accord_over_ceiling"] > 0


def test_bad_arguments_exit_non_zero_with_one_line(tmp_path: Path) -> None:
    done = run_bench("--sizes", "ten", "--out", str(tmp_path / "r.json"), timeout=60)
    assert done.returncode == 2
    assert "sizes must be whole numbers" in done.stderr
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
