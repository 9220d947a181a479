"""What a TAXII 2.1 client sees, on Accord or on medallion: POST envelopes, then page reads.

The same functions drive both servers: envelopes of `--chunk` objects POSTed to a
collection's objects endpoint (each answer a 202 status reporting every object as a
success), a full read following `next`, then more timed first-page GETs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import orjson

from bench.server import BenchError, Node

TAXII_21 = "application/taxii+json;version=2.1"
PAGE = 1000  # Accord's largest page; medallion is configured with the same
REQUEST_TIMEOUT = 3600.0  # seconds for one request: medallion's first page takes minutes at 10k
ACCORD_ROOT = "/taxii2/accord/"
DEFAULT_COLLECTION = "default"  # the collection `accord init` creates


@dataclass(frozen=True)
class Target:
    """A TAXII collection to drive: server URL, its objects endpoint, credentials."""

    url: str
    objects_path: str
    auth: httpx.Auth

    def client(self, timeout: float = REQUEST_TIMEOUT) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, auth=self.auth, timeout=timeout, headers={"Accept": TAXII_21}
        )


@dataclass(frozen=True)
class TaxiiRun:
    post_seconds: float
    first_page_seconds: float  # the median of the first-page GETs
    read_seconds: float
    objects_read: int


def accord_target(node: Node, email: str) -> Target:
    """The default collection of an Accord node, with HTTP Basic (e-mail : API key)."""
    auth = httpx.BasicAuth(email, node.key)
    with httpx.Client(base_url=node.url, auth=auth, headers={"Accept": TAXII_21}) as http:
        r = http.get(f"{ACCORD_ROOT}collections/", timeout=60)
    if r.status_code != 200:
        raise BenchError(f"GET {ACCORD_ROOT}collections/ answered {r.status_code}: {r.text[:500]}")
    collections = orjson.loads(r.content).get("collections", [])
    titled = [c["id"] for c in collections if c.get("title") == DEFAULT_COLLECTION]
    if not titled:
        titles = [c.get("title") for c in collections]
        raise BenchError(f"no collection titled {DEFAULT_COLLECTION!r} among {titles}")
    return Target(node.url, f"{ACCORD_ROOT}collections/{titled[0]}/objects/", auth)


def post_all(
    http: httpx.Client, path: str, bodies: Sequence[bytes], counts: Sequence[int]
) -> float:
    """Seconds to POST every envelope; each status must report all its objects as successes."""
    headers = {"Content-Type": TAXII_21}
    start = time.perf_counter()
    for body, count in zip(bodies, counts, strict=True):
        r = http.post(path, content=body, headers=headers)
        if r.status_code != 202:
            raise BenchError(f"TAXII POST answered {r.status_code}: {r.text[:500]}")
        status = orjson.loads(r.content)
        successes = len(status.get("successes", []))
        if (
            status.get("status") != "complete"
            or status.get("success_count") != count
            or status.get("failure_count", 0) != 0
            or successes != count
        ):
            raise BenchError(
                f"TAXII POST of {count} objects: status {status.get('status')!r}, "
                f"{status.get('success_count')} successes ({successes} listed), "
                f"{status.get('failure_count')} failures"
            )
    return time.perf_counter() - start


def _get_page(http: httpx.Client, path: str, params: dict[str, str | int]) -> dict[str, object]:
    r = http.get(path, params=params)
    if r.status_code != 200:
        raise BenchError(f"TAXII GET answered {r.status_code}: {r.text[:500]}")
    page: dict[str, object] = orjson.loads(r.content)
    return page


def _objects(page: dict[str, object]) -> list[object]:
    objects = page.get("objects", [])  # an empty envelope may leave `objects` out
    return objects if isinstance(objects, list) else []


def first_pages(http: httpx.Client, path: str, expected: int, count: int) -> list[float]:
    """Seconds for each of `count` GETs of the first page (JSON parsing included)."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        page = _get_page(http, path, {"limit": PAGE})
        times.append(time.perf_counter() - start)
        if len(_objects(page)) != min(PAGE, expected):
            raise BenchError(f"the first page held {len(_objects(page))} objects")
    return times


def read_all(http: httpx.Client, path: str, expected: int) -> tuple[float, float, int]:
    """(first page seconds, whole read seconds, objects read) following `next` until `more`
    is false."""
    max_pages = expected // PAGE + 2  # bounded: a server that never stops paging is a bug
    params: dict[str, str | int] = {"limit": PAGE}
    count = 0
    first = 0.0
    start = time.perf_counter()
    for number in range(max_pages):
        page = _get_page(http, path, params)
        if number == 0:
            first = time.perf_counter() - start
        count += len(_objects(page))
        if not page.get("more", False):
            break
        params = {"limit": PAGE, "next": str(page["next"])}
    else:
        raise BenchError(f"TAXII paging did not end after {max_pages} pages")
    elapsed = time.perf_counter() - start
    if count != expected:
        raise BenchError(f"TAXII paged read returned {count} objects, expected {expected}")
    return first, elapsed, count


def measure(
    target: Target, bodies: Sequence[bytes], counts: Sequence[int], first_page_gets: int
) -> TaxiiRun:
    """POST everything, read it all back, then GET the first page again until
    `first_page_gets` first pages (the read's own included) have been timed."""
    total = sum(counts)
    with target.client() as http:
        post = post_all(http, target.objects_path, bodies, counts)
        first, read, count = read_all(http, target.objects_path, total)
        firsts = [first, *first_pages(http, target.objects_path, total, first_page_gets - 1)]
    return TaxiiRun(post, statistics.median(firsts), read, count)
