"""Figures: every run kept, the median shown; the table people read and the JSON machines do."""

from __future__ import annotations

import math
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
TAXII_POST = "TAXII POST objects"
TAXII_FIRST_PAGE = "TAXII first page (1000)"
TAXII_PAGED_READ = "TAXII all pages (1000)"
IMPORT = "accord import (bulk)"
CEILING_EXECUTEMANY = "ceiling: executemany"
CEILING_COPY = "ceiling: COPY"
MEDALLION = "medallion (memory)"  # the backend column of medallion's rows
TAXII_OPERATIONS = (TAXII_POST, TAXII_FIRST_PAGE, TAXII_PAGED_READ)
# The medallion figure each Accord operation is compared with: a TAXII operation with the
# same one, a REST one with its TAXII twin, and the bulk import with POST (medallion has
# no other way in).
MEDALLION_COUNTERPART = {
    POST: TAXII_POST,
    FIRST_PAGE: TAXII_FIRST_PAGE,
    PAGED_READ: TAXII_PAGED_READ,
    TAXII_POST: TAXII_POST,
    TAXII_FIRST_PAGE: TAXII_FIRST_PAGE,
    TAXII_PAGED_READ: TAXII_PAGED_READ,
    IMPORT: TAXII_POST,
}
# The ceiling that inserts the way Accord's bulk path does (db/bulk.py), per backend.
IMPORT_CEILING = {"sqlite": CEILING_EXECUTEMANY, "postgresql": CEILING_COPY}
ABOVE_CAP = "not run (above cap)"


@dataclass
class Figure:
    size: int
    backend: str
    operation: str
    unit: str  # "objects/s" or "ms"
    runs: list[float] = field(default_factory=list)
    # On a ceiling: Accord's POST median over this one's; on the import row: the import's
    # median over its backend's IMPORT_CEILING.
    accord_over_ceiling: float | None = None
    # On an Accord row: its median over medallion's counterpart (MEDALLION_COUNTERPART)
    # at the same size.
    accord_over_medallion: float | None = None
    note: str | None = None  # why a figure has no runs

    @property
    def ran(self) -> bool:
        return bool(self.runs)

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
            "median": self.median if self.ran else None,
            "min": min(self.runs) if self.ran else None,
            "max": max(self.runs) if self.ran else None,
            "accord_over_ceiling": self.accord_over_ceiling,
            "accord_over_medallion": self.accord_over_medallion,
            "note": self.note,
        }


def _ratio(accord: Figure | None, other: Figure | None) -> float | None:
    if accord is None or other is None or not accord.ran or not other.ran:
        return None
    return accord.median / other.median


def add_ratios(figures: list[Figure]) -> None:
    """Fill in accord_over_ceiling and accord_over_medallion where both figures ran."""
    by_key = {(f.size, f.backend, f.operation): f for f in figures}
    for f in figures:
        if f.operation.startswith("ceiling"):
            f.accord_over_ceiling = _ratio(by_key.get((f.size, f.backend, POST)), f)
        elif f.operation == IMPORT:
            ceiling = by_key.get((f.size, f.backend, IMPORT_CEILING.get(f.backend, "")))
            f.accord_over_ceiling = _ratio(f, ceiling)
        if f.operation in MEDALLION_COUNTERPART and f.backend != MEDALLION:
            theirs = by_key.get((f.size, MEDALLION, MEDALLION_COUNTERPART[f.operation]))
            f.accord_over_medallion = _ratio(f, theirs)


def faster_than_medallion(f: Figure) -> bool | None:
    """Whether Accord beat medallion on this figure (fewer ms, or more objects/s)."""
    ratio = f.accord_over_medallion
    if ratio is None:
        return None
    return ratio < 1 if f.unit == "ms" else ratio > 1


def medallion_summary(figures: list[Figure]) -> dict[str, Any]:
    """How many comparisons with medallion Accord won, and the ones it lost."""
    compared = [f for f in figures if faster_than_medallion(f) is not None]
    slower = [f for f in compared if not faster_than_medallion(f)]
    return {
        "compared": len(compared),
        "faster": len(compared) - len(slower),
        "slower": [
            {"size": f.size, "backend": f.backend, "operation": f.operation} for f in slower
        ],
    }


def first_page_scaling(figures: list[Figure]) -> list[dict[str, Any]]:
    """Per Accord backend: TAXII first-page latency at the largest size over the smallest.

    The target is at most 1.5 between 10,000 and 1,000,000 objects.
    """
    out = []
    pages = [f for f in figures if f.operation == TAXII_FIRST_PAGE and f.ran]
    for backend in dict.fromkeys(f.backend for f in pages if f.backend != MEDALLION):
        mine = sorted((f for f in pages if f.backend == backend), key=lambda f: f.size)
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            out.append(
                {
                    "backend": backend,
                    "from_size": small.size,
                    "to_size": large.size,
                    "ratio": large.median / small.median,
                }
            )
    return out


def machine(postgres_version: str | None, medallion_version: str | None) -> dict[str, Any]:
    """What the figures depend on; no host names or paths."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
        "medallion": medallion_version,
    }


def _number(value: float, unit: str) -> str:
    return f"{value:,.1f}" if unit == "ms" else f"{value:,.0f}"


def _ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return ""
    if ratio >= 100:
        return f"{ratio:,.0f}"
    if ratio >= 0.1 or ratio <= 0:
        return f"{ratio:.2f}"
    return f"{ratio:.{1 - math.floor(math.log10(ratio))}f}"  # two significant digits


def _cells(f: Figure) -> tuple[str, ...]:
    if f.ran:
        spread = f"{_number(f.median, f.unit)} ({_number(min(f.runs), f.unit)}-"
        spread += f"{_number(max(f.runs), f.unit)})"
    else:
        spread = f.note or "not run"
    return (
        f"{f.size:,}",
        f.backend,
        f.operation,
        spread,
        f.unit,
        _ratio_text(f.accord_over_ceiling),
        _ratio_text(f.accord_over_medallion),
    )


def table(figures: list[Figure]) -> str:
    header = (
        "size",
        "backend",
        "operation",
        "median (min-max)",
        "unit",
        "Accord/ceiling",
        "Accord/medallion",
    )
    rows = [header, *(_cells(f) for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {0, 3, 5, 6}  # numbers line up on the right
    lines = []
    for number, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    for scaling in first_page_scaling(figures):
        lines.append(
            f"TAXII first page on {scaling['backend']}: {scaling['ratio']:.2f}x from "
            f"{scaling['from_size']:,} to {scaling['to_size']:,} objects (target: at most 1.5x "
            "from 10,000 to 1,000,000)"
        )
    versus = medallion_summary(figures)
    if versus["compared"]:
        line = f"Accord faster than medallion on {versus['faster']} of {versus['compared']}"
        line += " comparisons (Accord/medallion: above 1 is faster for objects/s, below 1 for ms)"
        lost = [f"{s['operation']} at {s['size']:,} on {s['backend']}" for s in versus["slower"]]
        lines.append(line + (f"; slower: {'; '.join(lost)}" if lost else ""))
    return "\n".join(lines)


def write_json(
    path: Path,
    figures: list[Figure],
    config: dict[str, Any],
    postgres_version: str | None,
    medallion_version: str | None,
) -> None:
    document = {
        "bench": "accord: REST and TAXII writes and paged reads, bulk import, the raw insert "
        "ceiling, and medallion (the OASIS TAXII 2.1 reference server)",
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config,
        "machine": machine(postgres_version, medallion_version),
        "figures": [f.as_dict() for f in figures],
        "taxii_first_page_scaling": first_page_scaling(figures),
        "versus_medallion": medallion_summary(figures),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
