"""The write path's shortcuts decide exactly what the general code decides."""

from __future__ import annotations

import gc
import random
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from accord.db.bulk import _processed
from accord.intel import timestamps
from accord.intel.ingest import paused_gc
from accord.intel.models import OBJECTS
from accord.intel.validation import Refusal, check_object, is_identifier
from tests.factories import indicator

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)


def _stamps() -> list[str]:
    """Timestamps of every shape near the usual one: valid, out of range, malformed."""
    rng = random.Random(7)
    out = [
        "2025-01-06T08:00:00.123Z",
        "2025-01-06T08:00:00.123456Z",
        "2025-01-06T08:00:00.1234567Z",
        "2025-01-06T08:00:00.12Z",
        "2025-01-06T08:00:00Z",
        "2025-01-06T08:00:00.123Z\n",
        "2025-01-06T08:00:00.123z",
        "2025-01-06 08:00:00.123Z",
        "2024-02-29T23:59:59.999Z",
        "2025-02-29T00:00:00.000Z",
        "2025-04-31T00:00:00.000Z",
        "2025-13-01T00:00:00.000Z",
        "2025-00-10T00:00:00.000Z",
        "0000-01-01T00:00:00.000Z",
        "0999-12-31T23:59:59.999Z",
        "2025-01-06T24:00:00.000Z",
        "2025-01-06T23:60:00.000Z",
        "2025-01-06T23:59:60.000Z",
        "\u0662025-01-06T08:00:00.123Z",  # an Arabic-Indic digit
        "2026-06-01T12:05:00.000Z",  # exactly the latest moment allowed
        "2026-06-01T12:05:00.001Z",  # a millisecond after it
        "9999-12-31T23:59:59.999Z",
    ]
    digits = "0123456789"
    for _ in range(300):
        year = rng.choice(["2025", "2026", "1999", "0001", "9999", "20x5"])
        month, day = (
            rng.choice(["00", "01", "02", "09", "12", "13"]),
            rng.choice(["00", "01", "28", "29", "30", "31", "32"]),
        )
        hour, minute, second = (
            rng.choice(["00", "09", "23", "24", "59", "60", "99"]) for _ in "hms"
        )
        frac = "".join(rng.choices(digits, k=rng.randint(0, 8)))
        out.append(f"{year}-{month}-{day}T{hour}:{minute}:{second}{'.' if frac else ''}{frac}Z")
    return out


def _general(value: str) -> str:
    """What the general code decides for `created`: normalized text, or why not."""
    try:
        moment = timestamps.parse(value)
    except ValueError as exc:
        return f"created: {exc}"
    if not re.search(r"\.\d{3,}Z$", value):
        return "created must have at least millisecond precision (.sssZ)"
    if moment > NOW + TOLERANCE:
        return f"created {value} is in the future"
    return timestamps.normalize(moment)


@pytest.mark.parametrize("value", _stamps())
def test_timestamps_read_as_the_general_parser_reads_them(value: str) -> None:
    obj = indicator()
    obj["created"] = obj["modified"] = obj["valid_from"] = value
    try:
        decided = check_object(obj, NOW, TOLERANCE).created
    except Refusal as exc:
        decided = str(exc)
    assert decided == _general(value)


def test_modified_before_created_compares_moments_not_text() -> None:
    obj = indicator()
    obj["created"] = "2025-01-06T08:00:00.500Z"
    obj["modified"] = "2025-01-06T08:00:00.4999Z"
    with pytest.raises(Refusal, match="modified is earlier than created"):
        check_object(obj, NOW, TOLERANCE)
    obj["modified"] = "2025-01-06T08:00:00.5000Z"  # the same moment, though "0" < "Z"
    assert check_object(obj, NOW, TOLERANCE).modified == "2025-01-06T08:00:00.500000Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("indicator--6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10", True),
        ("x-a--b--6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10", True),
        ("ab--6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10", False),  # a type has 3 characters or more
        ("a-b--6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10--", False),
        ("indicator--6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a1", False),
        ("indicator-6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10", False),
        ("Indicator--6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10", False),
        ("indicator--6d1f4a52-1c1e-0f43-9a4e-3b0f1f6c2a10", False),  # version 0
    ],
)
def test_identifiers(value: str, expected: bool) -> None:
    assert is_identifier(value) is expected


def test_the_gc_pause_is_shared_and_ends_with_its_last_user() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with paused_gc():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with paused_gc():
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other thread still holds its pause
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_the_gc_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with paused_gc(), paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_gc_pause_ends_when_ingest_raises() -> None:
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_bulk_rows_are_bound_as_one_by_one(dialect: Dialect) -> None:
    columns = ["pk", "date_added", "published", "sharing_group_id", "stix"]
    same = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "pk": pk,
            "date_added": same if pk < 4 else same + timedelta(microseconds=pk),
            "published": pk % 2 == 0,
            "sharing_group_id": None,
            "stix": "{}",
        }
        for pk in range(1, 8)
    ]
    processors = [OBJECTS.c[name].type.bind_processor(dialect) for name in columns]
    expected = [
        tuple(
            value if process is None else process(value)
            for value, process in zip((row[c] for c in columns), processors, strict=True)
        )
        for row in rows
    ]
    assert _processed(rows, columns, processors) == expected
    assert _processed(rows, ["pk"], [None]) == [(row["pk"],) for row in rows]
