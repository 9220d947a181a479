"""`python -m bench`: Accord's REST and TAXII figures, bulk import, the raw insert ceiling,
and medallion (the OASIS TAXII 2.1 reference server) on the same data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg
from sqlalchemy.exc import OperationalError

from bench import medallion, sync
from bench.report import table, write_json
from bench.runner import Config, postgres_admin_url, postgres_version, run, say
from bench.server import BenchError

DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"
BACKENDS = ("sqlite", "postgresql")


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _not_negative(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _backends(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"backends are {', '.join(BACKENDS)}")
    return chosen


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Start fresh Accord nodes on 127.0.0.1, POST deterministic STIX 2.1 objects "
            "through the REST API and TAXII 2.1, read them back in pages, import them with "
            "`accord import`, and compare with raw inserts of the same rows and with "
            "medallion, the OASIS TAXII 2.1 reference server."
        ),
    )
    p.add_argument("--sizes", type=_sizes, default=[10_000, 100_000], help="e.g. 10000,100000")
    p.add_argument("--with-1m", action="store_true", help="also run 1,000,000 objects")
    p.add_argument("--chunk", type=_positive, default=5000, help="objects per POSTed bundle")
    p.add_argument("--repeat", type=_positive, default=3, help="runs per figure (median shown)")
    p.add_argument("--seed", type=int, default=1, help="data generator seed")
    p.add_argument(
        "--first-page-gets",
        type=_positive,
        default=5,
        help="TAXII first-page GETs timed per Accord run (median kept)",
    )
    p.add_argument(
        "--medallion-max",
        type=_not_negative,
        default=10_000,
        help="largest size run on medallion (its pages cost quadratic time); 0: never",
    )
    p.add_argument("--medallion-repeat", type=_positive, default=1, help="medallion runs per size")
    p.add_argument(
        "--backends",
        type=_backends,
        default=None,
        help="sqlite,postgresql (default: sqlite, plus postgresql when "
        "ACCORD_BENCH_DATABASE_URL or ACCORD_TEST_DATABASE_URL is set)",
    )
    p.add_argument(
        "--sync-max",
        type=_not_negative,
        default=10_000,
        help="largest size whose node-to-node sync is measured in the default run; 0: never",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write JSON results")
    p.add_argument(
        "--sync",
        action="store_true",
        help="measure node-to-node sync instead: full sync of each size A to B (objects/s), "
        "then 100 changed objects (ms)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    admin_url = postgres_admin_url()
    backends = args.backends or ["sqlite"] + (["postgresql"] if admin_url else [])
    if "postgresql" in backends and admin_url is None:
        say("error: postgresql needs ACCORD_BENCH_DATABASE_URL or ACCORD_TEST_DATABASE_URL")
        return 2
    sizes = args.sizes + ([1_000_000] if args.with_1m and 1_000_000 not in args.sizes else [])
    if args.sync:
        return sync.main(
            Config(sizes, args.chunk, args.repeat, args.seed, backends, args.out, admin_url)
        )
    if min(sizes) <= args.medallion_max and not medallion.installed():
        say(
            "error: medallion is not installed: `pip install -e '.[bench]'` (make bench does), "
            "or pass --medallion-max 0"
        )
        return 2
    config = Config(
        sizes,
        args.chunk,
        args.repeat,
        args.seed,
        backends,
        args.out,
        admin_url,
        first_page_gets=args.first_page_gets,
        medallion_max=args.medallion_max,
        medallion_repeat=args.medallion_repeat,
    )
    try:
        pg_version = postgres_version(admin_url) if "postgresql" in backends and admin_url else None
        figures = run(config)
        figures += sync.figures(
            [size for size in sizes if size <= args.sync_max],
            backends,
            repeat=config.repeat,
            admin_url=admin_url,
            seed=config.seed,
            chunk=config.chunk,
            log=say,
        )
    except BenchError as exc:
        say(f"error: {exc}")
        return 1
    except (OperationalError, psycopg.OperationalError) as exc:
        say(f"error: database: {str(exc).strip().splitlines()[0]}")
        return 1
    print(table(figures))
    settings = {
        "sizes": sizes,
        "chunk": config.chunk,
        "repeat": config.repeat,
        "seed": config.seed,
        "backends": backends,
        "first_page_gets": config.first_page_gets,
        "medallion_max": config.medallion_max,
        "medallion_repeat": config.medallion_repeat,
        "sync_max": args.sync_max,
    }
    write_json(config.out, figures, settings, pg_version, medallion.version())
    say(f"results written to {config.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
