"""A fresh Accord node for one run: its own database, the real CLI, `accord serve` on loopback.

The server is a subprocess in the bench's process group; `stop` terminates it and waits,
and on Linux the kernel also sends it SIGTERM if the bench itself dies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HOST = "127.0.0.1"
CLI_TIMEOUT = 120.0  # seconds for one `accord ...` command
START_TIMEOUT = 60.0  # seconds for `accord serve` to answer
STOP_TIMEOUT = 30.0  # seconds for a graceful shutdown before SIGKILL
ORG = "Bench Staff"
USER = "bench@bench.example"


class BenchError(RuntimeError):
    """The bench could not set up or drive a node; the message says what failed."""


@dataclass
class Node:
    url: str
    key: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """Run in the child before exec: SIGTERM it when the bench exits (Linux prctl)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def accord_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["ACCORD_DATABASE_URL"] = database_url
    env["ACCORD_NODE_NAME"] = "bench"
    return env


def accord(database_url: str, *args: str) -> str:
    """Run one `accord` command against the database; its standard output, stripped."""
    done = subprocess.run(
        [sys.executable, "-m", "accord", *args],
        env=accord_env(database_url),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"accord {args[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def provision(database_url: str) -> str:
    """Migrate a fresh database, add one organization, one analyst and their API key."""
    accord(database_url, "init")
    accord(database_url, "org", "add", ORG, "--country", "BS", "--kind", "member")
    accord(database_url, "user", "add", USER, "--org", ORG, "--role", "analyst")
    return accord(database_url, "apikey", "create", USER, "--name", "bench")


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def start(database_url: str, key: str, log: Path) -> Node:
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "accord", "serve", "--host", HOST, "--port", str(port)],
            env=accord_env(database_url),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509  (single-threaded bench; it only calls prctl)
        )
    node = Node(f"http://{HOST}:{port}", key, process, log)
    try:
        _wait_ready(node)
    except BaseException:
        stop(node)
        raise
    return node


def _wait_ready(node: Node) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=node.url, headers=node.headers, timeout=5) as http:
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise BenchError(f"accord serve exited early:\n{log_tail(node.log)}")
            try:
                if http.get("/api/v1/me").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise BenchError(f"accord serve did not answer within {START_TIMEOUT:.0f}s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within STOP_TIMEOUT."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def stop(node: Node) -> None:
    stop_process(node.process)


def _pg_name() -> str:
    return f"accord_bench_{uuid.uuid4().hex[:12]}"


@contextmanager
def fresh_database(
    backend: str, admin_url: str | None = None, template: str | None = None
) -> Iterator[str]:
    """The URL of a new database, removed afterwards: empty, or a copy of `template` (a URL).

    SQLite databases are files in a temporary directory; PostgreSQL ones are created on
    the server `admin_url` names (CREATE DATABASE ... TEMPLATE for a copy).
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="accord-bench-") as directory:
            path = Path(directory) / "accord.db"
            if template is not None:
                _sqlite_copy(make_url(template).database or "", path)
            yield f"sqlite:///{path}"
        return
    if admin_url is None:
        raise BenchError("PostgreSQL needs ACCORD_BENCH_DATABASE_URL or ACCORD_TEST_DATABASE_URL")
    name = _pg_name()
    source = f' TEMPLATE "{make_url(template).database}"' if template else ""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{source}'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _sqlite_copy(source: str, target: Path) -> None:
    """A consistent copy through SQLite's backup API (WAL content included)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@contextmanager
def provisioned(backend: str, admin_url: str | None = None) -> Iterator[tuple[str, str]]:
    """(database URL, API key) of a node set up through the real CLI, to clone for each run.

    `accord init`, `org add`, `user add` and `apikey create` cost seconds of imports each;
    doing them once and copying the database gives every run the same fresh node faster.
    """
    with fresh_database(backend, admin_url) as url:
        yield url, provision(url)


@contextmanager
def running_node(database_url: str, key: str) -> Iterator[Node]:
    """Serve a provisioned database on a free loopback port until the block ends."""
    with tempfile.TemporaryDirectory(prefix="accord-bench-log-") as directory:
        node = start(database_url, key, Path(directory) / "serve.log")
        try:
            yield node
        finally:
            stop(node)
