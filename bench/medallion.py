"""medallion, the OASIS TAXII 2.1 reference server, as a subprocess on a free loopback port.

It runs `python -m medallion.scripts.run` (what its `medallion` script runs) from the
bench's own interpreter, with a generated configuration: the memory backend
(`medallion.backends.memory_backend.MemoryBackend`) loaded from a generated data file
holding one API root and one readable, writable collection, one Basic-auth user, and
pages of up to 1000 objects like Accord's.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.server import HOST, BenchError, die_with_parent, free_port, log_tail, stop_process
from bench.taxii import TAXII_21, Target

API_ROOT = "bench"
COLLECTION_ID = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
USER = "bench"
PASSWORD = "bench-only-on-loopback"  # noqa: S105  (a fictional local credential)
PAGE_SIZE = 1000  # the same largest page as Accord's
MAX_CONTENT_LENGTH = 2**31 - 1  # bytes: medallion refuses POSTs above its API root's limit
# Seconds a `next` cursor lives in medallion's memory backend (its default, 30, is shorter
# than a paged read of 10,000 objects takes there).
SESSION_TIMEOUT = 86_400
START_TIMEOUT = 60.0  # seconds for medallion to answer


def installed() -> bool:
    return importlib.util.find_spec("medallion") is not None


def version() -> str | None:
    try:
        return importlib.metadata.version("medallion")
    except importlib.metadata.PackageNotFoundError:
        return None


def data_file(base_url: str) -> dict[str, Any]:
    """The memory backend's data: discovery, one API root, one empty collection."""
    root_url = f"{base_url}/{API_ROOT}/"
    return {
        "/discovery": {
            "title": "medallion (bench)",
            "description": "The OASIS TAXII 2.1 reference server, started by Accord's bench.",
            "default": root_url,
            "api_roots": [root_url],
        },
        API_ROOT: {
            "information": {
                "title": "bench",
                "description": "One collection the bench writes and reads.",
                "versions": [TAXII_21],
                "max_content_length": MAX_CONTENT_LENGTH,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION_ID,
                    "title": "bench",
                    "description": "Objects POSTed by the bench.",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


def configuration(data_path: Path) -> dict[str, Any]:
    """medallion's configuration file: backend, users and TAXII settings."""
    return {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data_path),
            "session_timeout": SESSION_TIMEOUT,
        },
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": PAGE_SIZE},
    }


@dataclass
class Medallion:
    target: Target
    process: subprocess.Popen[bytes]
    log: Path


def _wait_ready(server: Medallion) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with server.target.client(timeout=5) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchError(f"medallion exited early:\n{log_tail(server.log)}")
            try:
                if http.get(f"/{API_ROOT}/collections/{COLLECTION_ID}/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise BenchError(f"medallion did not answer within {START_TIMEOUT:.0f}s")


@contextmanager
def running_medallion() -> Iterator[Medallion]:
    """A fresh, empty medallion on a free loopback port until the block ends."""
    if not installed():
        raise BenchError(
            "medallion is not installed: `pip install -e '.[bench]'` (make bench does), "
            "or pass --medallion-max 0"
        )
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="accord-bench-medallion-") as directory:
        folder = Path(directory)
        data_path = folder / "data.json"
        data_path.write_bytes(orjson.dumps(data_file(base_url)))
        config_path = folder / "config.json"
        config_path.write_bytes(orjson.dumps(configuration(data_path)))
        log = folder / "medallion.log"
        command = [
            sys.executable,
            "-m",
            "medallion.scripts.run",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "ERROR",
            str(config_path),
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # noqa: PLW1509  (single-threaded bench; it only calls prctl)
            )
        objects_path = f"/{API_ROOT}/collections/{COLLECTION_ID}/objects/"
        target = Target(base_url, objects_path, httpx.BasicAuth(USER, PASSWORD))
        server = Medallion(target, process, log)
        try:
            _wait_ready(server)
            yield server
        finally:
            stop_process(process)
