"""What a client sees: POST bundles to /api/v1/objects, then read everything back in pages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import orjson

from bench.server import BenchError, Node

REQUEST_TIMEOUT = 600.0  # seconds for one request; a bundle of 5000 takes a few
PAGE = 1000  # the server's largest page


@dataclass(frozen=True)
class AccordRun:
    post_seconds: float
    first_page_seconds: float
    read_seconds: float
    objects_read: int


def post_all(http: httpx.Client, bodies: Sequence[bytes], sizes: Sequence[int]) -> float:
    """Seconds to POST every bundle; each must answer 201 with all its objects created."""
    headers = {"Content-Type": "application/json"}
    start = time.perf_counter()
    for body, size in zip(bodies, sizes, strict=True):
        r = http.post(
            "/api/v1/objects", params={"distribution": "node"}, content=body, headers=headers
        )
        if r.status_code != 201:
            raise BenchError(f"POST answered {r.status_code}: {r.text[:500]}")
        created = orjson.loads(r.content)["created"]
        if created != size:
            raise BenchError(f"POST created {created} of {size} objects")
    return time.perf_counter() - start


def read_all(http: httpx.Client, expected: int) -> tuple[float, float, int]:
    """(first page seconds, whole read seconds, objects read) following `next` cursors."""
    max_pages = expected // PAGE + 2  # bounded: a server that never stops paging is a bug
    params: dict[str, str | int] = {"limit": PAGE}
    count = 0
    first = 0.0
    start = time.perf_counter()
    for number in range(max_pages):
        r = http.get("/api/v1/objects", params=params)
        if r.status_code != 200:
            raise BenchError(f"GET answered {r.status_code}: {r.text[:500]}")
        page = orjson.loads(r.content)
        if number == 0:
            first = time.perf_counter() - start
        count += len(page["objects"])
        if not page["more"]:
            break
        params = {"limit": PAGE, "next": page["next"]}
    else:
        raise BenchError(f"paging did not end after {max_pages} pages")
    elapsed = time.perf_counter() - start
    if count != expected:
        raise BenchError(f"paged read returned {count} objects, expected {expected}")
    return first, elapsed, count


def measure(node: Node, bodies: Sequence[bytes], sizes: Sequence[int]) -> AccordRun:
    total = sum(sizes)
    with httpx.Client(base_url=node.url, headers=node.headers, timeout=REQUEST_TIMEOUT) as http:
        post = post_all(http, bodies, sizes)
        first, read, count = read_all(http, total)
    return AccordRun(post, first, read, count)
