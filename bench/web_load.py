"""`python -m bench.web_load`: web pages under a bounded load of concurrent signed-in clients.

Two databases, each served by a real `accord serve` on a free loopback port:

- **demo**: `accord demo` (the fictional coalition); the clients sign in as its analysts;
- **100k**: a fresh node with `--objects` generated objects (bench/data.py) imported by
  `accord import`; the clients sign in as an analyst of the organization that owns them.

Each of `--clients` threads signs in over HTTP (the login form and its CSRF token, as a
browser does), warms up with one round, then requests the home page, the report list and
one report view `--rounds` times, as fast as the server answers. Per page it reports the
median and 95th percentile of the server time (the app's `Server-Timing: app;dur=` header:
from the request's arrival to the response's start) and of the client-side latency
(request sent to body read). The run stops by itself after the rounds, or at
`--max-seconds` with what was measured; servers are stopped whether it succeeds or fails.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.data import generate
from bench.ingest import import_seconds, write_bundle
from bench.server import (
    CLI_TIMEOUT,
    ORG,
    BenchError,
    accord,
    accord_env,
    fresh_database,
    provision,
    running_node,
)

PAGES = ("home", "report list", "report view")
DEFAULT_OUT = Path(__file__).parent / "results" / "web_load.json"
REQUEST_TIMEOUT = 120.0
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_DUR = re.compile(r"\bapp;dur=([0-9.]+)")
_REPORT = re.compile(r'href="/objects/(report--[0-9a-f-]{36})"')
_DEMO_LOGIN = re.compile(r"^\s+analyst\s+(\S+@\S+)\s+acc_", re.MULTILINE)
_DEMO_PASSWORD = re.compile(r"password of every demo login: (\S+)")
WEB_USER = "webload@bench.example"


@dataclass
class Login:
    email: str
    password: str


@dataclass
class Samples:
    """Milliseconds per page: server time (Server-Timing) and client-side latency."""

    server: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    client: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, server_ms: float, client_ms: float) -> None:
        with self.lock:
            self.server[page].append(server_ms)
            self.client[page].append(client_ms)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
    }


# --- one client ------------------------------------------------------------------------------


def sign_in(http: httpx.Client, login: Login) -> None:
    page = http.get("/login")
    token = _TOKEN.search(page.text)
    if token is None:
        raise BenchError(f"the sign-in page has no form (status {page.status_code})")
    answer = http.post(
        "/login",
        data={
            "email": login.email,
            "password": login.password,
            "next": "/",
            "csrf_token": token.group(1),
        },
    )
    if answer.status_code != 303 or answer.headers.get("location") != "/":
        raise BenchError(f"{login.email} could not sign in (status {answer.status_code})")


def timed_get(http: httpx.Client, path: str) -> tuple[float, float]:
    """(server ms, client ms) of one GET that must answer 200 with a Server-Timing header."""
    start = time.perf_counter()
    response = http.get(path)
    client_ms = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}")
    found = _DUR.search(response.headers.get("server-timing", ""))
    if found is None:
        raise BenchError(f"GET {path} has no Server-Timing header")
    return float(found.group(1)), client_ms


def report_paths(http: httpx.Client) -> list[str]:
    ids = list(dict.fromkeys(_REPORT.findall(http.get("/reports").text)))
    if not ids:
        raise BenchError("the report list shows no report to view")
    return [f"/objects/{stix_id}" for stix_id in ids]


def run_client(
    url: str, login: Login, rounds: int, deadline: float, samples: Samples, number: int
) -> int:
    """Sign in, warm up, then `rounds` rounds of the three pages; returns rounds done."""
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as http:
        sign_in(http, login)
        views = report_paths(http)
        paths = {"home": "/", "report list": "/reports"}
        for page in PAGES:  # warm-up round, not measured
            timed_get(http, paths.get(page) or views[number % len(views)])
        done = 0
        for index in range(rounds):
            if time.monotonic() >= deadline:
                break
            paths["report view"] = views[(number + index) % len(views)]
            for page in PAGES:
                samples.add(page, *timed_get(http, paths[page]))
            done += 1
        return done


def load(url: str, logins: Sequence[Login], clients: int, rounds: int, seconds: float) -> Samples:
    """`clients` threads at once; each signs in as the next login in turn."""
    samples = Samples()
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(run_client, url, logins[n % len(logins)], rounds, deadline, samples, n)
            for n in range(clients)
        ]
        done = [future.result() for future in futures]
    if min(done) < rounds:
        say(f"  stopped at --max-seconds: {sum(done)} of {clients * rounds} rounds done")
    return samples


# --- the two databases -----------------------------------------------------------------------


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def demo_logins(database_url: str) -> list[Login]:
    """Build the demo coalition with `accord demo`; the analysts' logins it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "accord", "demo"],
        env=accord_env(database_url),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"accord demo failed: {done.stderr.strip()[-500:]}")
    text = done.stderr + done.stdout
    password = _DEMO_PASSWORD.search(text)
    emails = _DEMO_LOGIN.findall(text)
    if password is None or not emails:
        raise BenchError("accord demo printed no analyst login")
    return [Login(email, password.group(1)) for email in emails]


def bulk_logins(database_url: str, objects: int, folder: Path) -> tuple[str, list[Login]]:
    """A fresh node with `objects` imported objects; (API key, the analyst's login)."""
    key = provision(database_url)
    password = accord(database_url, "user", "add", WEB_USER, "--org", ORG, "--role", "analyst")
    say(f"  generating {objects:,} objects")
    bundle = write_bundle(folder / "bundle.json", generate(objects), seed=1)
    say("  importing them with accord import")
    seconds = import_seconds(database_url, bundle, objects)
    say(f"  imported in {seconds:.0f} s")
    return key, [Login(WEB_USER, password)]


def api_key_of(database_url: str, email: str) -> str:
    return accord(database_url, "apikey", "create", email, "--name", "web-load")


@contextmanager
def secret_key() -> Iterator[None]:
    """The web pages need a signing key; a PostgreSQL node has no key file to fall back on."""
    if os.environ.get("ACCORD_SECRET_KEY"):
        yield
        return
    os.environ["ACCORD_SECRET_KEY"] = secrets.token_urlsafe(48)
    try:
        yield
    finally:
        del os.environ["ACCORD_SECRET_KEY"]


def measure(
    name: str,
    backend: str,
    admin_url: str | None,
    prepare: Callable[[str, Path], tuple[str, list[Login]]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    say(f"{name}:")
    with (
        tempfile.TemporaryDirectory(prefix="accord-web-load-") as directory,
        fresh_database(backend, admin_url) as url,
    ):
        key, logins = prepare(url, Path(directory))
        with running_node(url, key) as node:
            say(f"  {args.clients} clients x {args.rounds} rounds against {node.url}")
            started = time.perf_counter()
            samples = load(node.url, logins, args.clients, args.rounds, args.max_seconds)
            wall = time.perf_counter() - started
    return {
        "dataset": name,
        "backend": backend,
        "clients": args.clients,
        "seconds": round(wall, 1),
        "pages": {
            page: {"server": summary(samples.server[page]), "client": summary(samples.client[page])}
            for page in PAGES
        },
    }


def table(results: Sequence[dict[str, Any]]) -> str:
    head = f"{'dataset':<8} {'page':<12} {'n':>5}  {'server median':>13} {'server p95':>10}"
    head += f"  {'client median':>13} {'client p95':>10}"
    lines = [head, "-" * len(head)]
    for result in results:
        for page, figures in result["pages"].items():
            server, client = figures["server"], figures["client"]
            lines.append(
                f"{result['dataset']:<8} {page:<12} {server['n']:>5}  "
                f"{server.get('median_ms', 0):>10.1f} ms {server.get('p95_ms', 0):>7.1f} ms  "
                f"{client.get('median_ms', 0):>10.1f} ms {client.get('p95_ms', 0):>7.1f} ms"
            )
    return "\n".join(lines)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.web_load", description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=_positive, default=20, help="concurrent clients")
    p.add_argument("--rounds", type=_positive, default=15, help="rounds of 3 pages per client")
    p.add_argument("--objects", type=_positive, default=100_000, help="size of the bulk dataset")
    p.add_argument("--datasets", default="demo,bulk", help="demo, bulk or both (comma-separated)")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--max-seconds", type=float, default=600.0, help="stop each load after this")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write JSON results")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    if not datasets or set(datasets) - {"demo", "bulk"}:
        parser().error("--datasets takes demo, bulk or both")
    admin_url = os.environ.get("ACCORD_BENCH_DATABASE_URL") or os.environ.get(
        "ACCORD_TEST_DATABASE_URL"
    )
    if args.backend == "postgresql" and not admin_url:
        parser().error("postgresql needs ACCORD_BENCH_DATABASE_URL or ACCORD_TEST_DATABASE_URL")

    def demo(url: str, _folder: Path) -> tuple[str, list[Login]]:
        logins = demo_logins(url)
        return api_key_of(url, logins[0].email), logins

    def bulk(url: str, folder: Path) -> tuple[str, list[Login]]:
        return bulk_logins(url, args.objects, folder)

    prepares = {"demo": demo, "bulk": bulk}
    results = []
    try:
        with secret_key():
            for name in datasets:
                label = name if name == "demo" else f"{args.objects // 1000}k"
                results.append(measure(label, args.backend, admin_url, prepares[name], args))
    except BenchError as exc:
        say(f"web load failed: {exc}")
        return 1
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    say(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
