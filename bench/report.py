"""Figures: every run kept, the median shown; the table people read and the JSON machines do."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

POST = "POST /api/v1/objects"
FIRST_PAGE = "GET first page (1000)"
PAGED_READ = "GET all pages (1000)"
CEILING_EXECUTEMANY = "ceiling: executemany"
CEILING_COPY = "ceiling: COPY"


@dataclass
class Figure:
    size: int
    backend: str
    operation: str
    unit: str  # "objects/s" or "ms"
    runs: list[float] = field(default_factory=list)
    # For a ceiling: Accord's POST median divided by this ceiling's median.
    accord_over_ceiling: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "backend": self.backend,
            "operation": self.operation,
            "unit": self.unit,
            "runs": self.runs,
            "median": self.median,
            "min": min(self.runs),
            "max": max(self.runs),
            "accord_over_ceiling": self.accord_over_ceiling,
        }


def add_ratios(figures: list[Figure]) -> None:
    """Set accord_over_ceiling on every ceiling figure from the POST figure beside it."""
    posts = {(f.size, f.backend): f for f in figures if f.operation == POST}
    for f in figures:
        post = posts.get((f.size, f.backend))
        if f.operation.startswith("ceiling") and post is not None:
            f.accord_over_ceiling = post.median / f.median


def machine(postgres_version: str | None) -> dict[str, Any]:
    """What the figures depend on; no host names or paths."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
    }


def _number(value: float, unit: str) -> str:
    return f"{value:,.1f}" if unit == "ms" else f"{value:,.0f}"


def table(figures: list[Figure]) -> str:
    header = ("size", "backend", "operation", "median (min-max)", "unit", "Accord/ceiling")
    rows = [header]
    for f in figures:
        spread = f"{_number(f.median, f.unit)} ({_number(min(f.runs), f.unit)}-"
        spread += f"{_number(max(f.runs), f.unit)})"
        ratio = "" if f.accord_over_ceiling is None else f"{f.accord_over_ceiling:.2f}"
        rows.append((f"{f.size:,}", f.backend, f.operation, spread, f.unit, ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {0, 3, 5}  # numbers line up on the right
    lines = []
    for number, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(
    path: Path, figures: list[Figure], config: dict[str, Any], postgres_version: str | None
) -> None:
    document = {
        "bench": "accord: POST /api/v1/objects and paged reads vs the raw insert ceiling",
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config,
        "machine": machine(postgres_version),
        "figures": [f.as_dict() for f in figures],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
