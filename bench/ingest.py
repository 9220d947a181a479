"""Bulk ingest through the CLI: `accord import FILE --as EMAIL` on a fresh node, timed alone.

The clock covers the whole command as an operator runs it: interpreter start-up, reading
and parsing the file, the one ingest transaction, and exit. The bundle file is written
before the clock starts.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from bench.data import NAMESPACE
from bench.server import USER, BenchError, accord_env

IMPORT_TIMEOUT = 3600.0  # seconds for one `accord import` (1,000,000 objects take minutes)
_IMPORTED = re.compile(r"imported (\d+) new, (\d+) already present")


def write_bundle(path: Path, objects: Sequence[dict[str, Any]], seed: int) -> Path:
    """All the objects as one STIX 2.1 bundle in `path`."""
    bundle_id = f"bundle--{uuid.uuid5(NAMESPACE, f'{seed}:import')}"
    path.write_bytes(orjson.dumps({"type": "bundle", "id": bundle_id, "objects": objects}))
    return path


def import_seconds(database_url: str, bundle: Path, expected: int) -> float:
    """Seconds `accord import` takes; it must report every object of the bundle as new."""
    command = [sys.executable, "-m", "accord", "import", str(bundle), "--as", USER]
    start = time.perf_counter()
    done = subprocess.run(
        command,
        env=accord_env(database_url),
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT,
        check=False,
    )
    elapsed = time.perf_counter() - start
    output = done.stderr + done.stdout
    if done.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-10:])
        raise BenchError(f"accord import exited {done.returncode}:\n{tail}")
    found = _IMPORTED.search(output)
    if found is None or (int(found[1]), int(found[2])) != (expected, 0):
        raise BenchError(f"accord import of {expected} objects said: {output.strip()[:500]}")
    return elapsed
