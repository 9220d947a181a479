"""STIX 2.1 timestamps (RFC 3339, UTC, 'Z'), parsed without the stix2 library."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")


def parse(value: object) -> datetime:
    """Parse a STIX timestamp; raises ValueError with a readable message."""
    if not isinstance(value, str):
        raise ValueError("must be a timestamp string")
    return _parse(value)


@lru_cache(maxsize=16384)
def _parse(value: str) -> datetime:
    # Cached: a bundle's objects mostly share a handful of timestamps.
    m = _TS.match(value)
    if m is None:
        raise ValueError(f"{value!r} is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    year, month, day, hour, minute, second, frac = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC
        )
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date and time") from None


@lru_cache(maxsize=16384)
def normalize(moment: datetime) -> str:
    """Fixed-width text whose order is time order: YYYY-MM-DDTHH:MM:SS.ffffffZ."""
    m = moment.astimezone(UTC)
    # Formatted by hand: strftime does not zero-pad years before 1000.
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond:06d}Z"
    )


def format_stix(moment: datetime) -> str:
    """Millisecond precision, as STIX producers usually write timestamps."""
    return normalize(moment)[:-4] + "Z"


def display(normalized: str) -> str:
    """A stored YYYY-MM-DDTHH:MM:SS.ffffffZ shown with at least millisecond precision,
    without trailing zeros beyond it (how producers usually wrote it)."""
    head, _, frac = normalized.rstrip("Z").partition(".")
    frac = frac.rstrip("0").ljust(3, "0")
    return f"{head}.{frac}Z"


def format_added(moment: datetime) -> str:
    """date_added with microseconds: every date_added is distinct at that precision."""
    return normalize(moment)
