"""Real Accord nodes for end-to-end tests: fresh databases, the CLI, `accord serve` processes.

Everything here runs the installed command in subprocesses, exactly as an operator
would; each node listens on a free loopback port and is always stopped (terminate,
then kill) when its `running_node` block ends, whether the test passed or not.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ACCORD = [sys.executable, "-m", "accord"]
READY_PATH = "/api/v1/openapi.json"  # answers without a key once the app is up
CLI_TIMEOUT = 120.0
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
START_ATTEMPTS = 3  # a free port can be taken by someone else before the node binds it


def create_postgres_database(admin_url: str, prefix: str = "accord_e2e") -> str:
    """CREATE DATABASE with a unique name on the server of `admin_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    """DROP the database of `url`, closing whatever connections are still open to it."""
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def node_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ACCORD_* settings, plus the database URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["ACCORD_DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def run_accord(
    database_url: str,
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = CLI_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `accord ARGS` against a database and return the finished process."""
    return subprocess.run(
        [*ACCORD, *args],
        cwd=cwd,
        env=node_env(database_url, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def accord_out(
    database_url: str, *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> str:
    """Run `accord ARGS`, which must succeed; returns what it printed on standard output."""
    done = run_accord(database_url, *args, cwd=cwd, env=env)
    assert done.returncode == 0, f"accord {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Node:
    """One `accord serve` process on 127.0.0.1."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self, limit: int = 4000) -> str:
        """The end of what the process wrote (standard output and error together)."""
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def client(self, timeout: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Terminate, and kill if it has not exited within `timeout` seconds."""
        _stop(self.process, timeout)


def _stop_all(processes: Sequence[subprocess.Popen[bytes]], timeout: float) -> None:
    """Terminate every process first, so that they shut down side by side; then kill laggards."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    _stop_all([process], timeout)


@dataclass(frozen=True)
class NodeSpec:
    """What to serve: an initialized database, a name for logs, extra environment."""

    database_url: str
    name: str = "node"
    env: Mapping[str, str] | None = None


def _launch(spec: NodeSpec, log_dir: Path, attempt: int) -> Node:
    port = free_port()
    log_path = log_dir / f"{spec.name}.{attempt}.log"
    with log_path.open("wb") as log:
        # The log is a file, not a pipe: an unread pipe fills up and blocks the server.
        process = subprocess.Popen(
            [*ACCORD, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=log_dir,
            env=node_env(spec.database_url, spec.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Node(spec.name, f"http://127.0.0.1:{port}", process, log_path)


def _wait_ready(node: Node, timeout: float) -> bool:
    """True once the node answers; False if the process exited first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            return False
        try:
            if httpx.get(node.url + READY_PATH, timeout=2.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{node.name} did not answer within {timeout} s:\n{node.log()}")


def _ready(node: Node, spec: NodeSpec, log_dir: Path, timeout: float) -> Node:
    """Wait for a launched node; launch it again on another port if its port was taken."""
    for attempt in range(2, START_ATTEMPTS + 2):
        try:
            if _wait_ready(node, timeout):
                return node
        except BaseException:
            node.stop()
            raise
        if attempt > START_ATTEMPTS or "address already in use" not in node.log().lower():
            break
        node = _launch(spec, log_dir, attempt)
    raise AssertionError(f"{node.name} exited before answering:\n{node.log()}")


@contextmanager
def running_nodes(
    specs: Sequence[NodeSpec], log_dir: Path, *, startup_timeout: float = STARTUP_TIMEOUT
) -> Iterator[list[Node]]:
    """`accord serve` for each spec on free loopback ports, all stopped when the block ends.

    The processes start side by side; each database must be initialized (`accord init`).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    nodes: list[Node] = []
    try:
        nodes.extend(_launch(spec, log_dir, 1) for spec in specs)
        for index, spec in enumerate(specs):
            nodes[index] = _ready(nodes[index], spec, log_dir, startup_timeout)
        yield nodes
    finally:
        _stop_all([node.process for node in nodes], STOP_TIMEOUT)


@contextmanager
def running_node(
    database_url: str,
    log_dir: Path,
    *,
    name: str = "node",
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[Node]:
    """One `accord serve` process on a free loopback port, until the block ends."""
    with running_nodes(
        [NodeSpec(database_url, name, env)], log_dir, startup_timeout=startup_timeout
    ) as nodes:
        yield nodes[0]
