"""The ceiling: the rows Accord stores, written straight through the database driver.

One table with the columns Accord indexes (stix_id, type, modified, owner, distribution,
tlp, published, date_added) and the same JSON text, three secondary indexes, one
transaction. No validation, no versions, no labels, no audit: the most any ingest on this
database and machine could do. The rows are built before the clock starts.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy.engine import make_url

from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.sharing.tlp import TLP_BY_MARKING_ID, Tlp

# Stand-ins for the organization and the moment of the write: same widths as Accord's.
OWNER = "0b6c8f2e-3a41-4d7e-9c55-1f2a3b4c5d6e"
ADDED = datetime(2026, 1, 1, tzinfo=UTC)
DISTRIBUTION = "node"

SQLITE_INSERT = (
    "INSERT INTO ceiling (pk, stix_id, type, modified, owner_org_id, distribution, tlp, "
    "published, date_added, stix) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
PG_INSERT = (
    "INSERT INTO ceiling (pk, stix_id, type, modified, owner_org_id, distribution, tlp, "
    "published, date_added, stix) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
PG_COPY = (
    "COPY ceiling (pk, stix_id, type, modified, owner_org_id, distribution, tlp, "
    "published, date_added, stix) FROM STDIN"
)
INDEXES = (
    "CREATE UNIQUE INDEX ceiling_version ON ceiling (stix_id, modified)",
    "CREATE INDEX ceiling_type ON ceiling (type)",
    "CREATE INDEX ceiling_owner ON ceiling (owner_org_id)",
)
SQLITE_TABLE = """CREATE TABLE ceiling (
    pk INTEGER PRIMARY KEY, stix_id VARCHAR(128) NOT NULL, type VARCHAR(64) NOT NULL,
    modified VARCHAR(32) NOT NULL, owner_org_id VARCHAR(36) NOT NULL,
    distribution VARCHAR(16) NOT NULL, tlp SMALLINT NOT NULL, published BOOLEAN NOT NULL,
    date_added DATETIME NOT NULL, stix TEXT NOT NULL)"""
PG_TABLE = """CREATE TABLE ceiling (
    pk BIGINT PRIMARY KEY, stix_id VARCHAR(128) NOT NULL, type VARCHAR(64) NOT NULL,
    modified VARCHAR(32) NOT NULL, owner_org_id VARCHAR(36) NOT NULL,
    distribution VARCHAR(16) NOT NULL, tlp SMALLINT NOT NULL, published BOOLEAN NOT NULL,
    date_added TIMESTAMP WITHOUT TIME ZONE NOT NULL, stix TEXT NOT NULL)"""

Row = tuple[Any, ...]


def _tlp(obj: dict[str, Any]) -> int:
    levels = [TLP_BY_MARKING_ID[m] for m in obj.get("object_marking_refs", ())]
    return int(levels[0]) if levels else int(Tlp.NONE)


def stored_rows(objects: Sequence[dict[str, Any]]) -> list[Row]:
    """What Accord's ingest writes to its objects table, for the same objects.

    date_added is a naive UTC datetime, one microsecond apart, as Accord stores it.
    """
    owner_identity = f"identity--{OWNER}"
    rows: list[Row] = []
    for pk, raw in enumerate(objects, start=1):
        obj = dict(raw)
        obj.setdefault("created_by_ref", owner_identity)
        obj["extensions"] = {EXTENSION_ID: sharing_extension(DISTRIBUTION, None)}
        added = (ADDED + timedelta(microseconds=pk)).replace(tzinfo=None)
        modified = timestamps.normalize(timestamps.parse(obj["modified"]))
        rows.append(
            (
                pk,
                obj["id"],
                obj["type"],
                modified,
                OWNER,
                DISTRIBUTION,
                _tlp(obj),
                True,
                added,
                orjson.dumps(obj).decode(),
            )
        )
    return rows


def sqlite_rows(rows: Sequence[Row]) -> list[Row]:
    """SQLite binds: booleans as 0/1 and datetimes as the text SQLAlchemy writes."""
    return [(*r[:7], int(r[7]), r[8].isoformat(" ", "microseconds"), r[9]) for r in rows]


def sqlite_executemany(rows: Sequence[Row]) -> float:
    """Seconds to insert `rows` (from `sqlite_rows`) into a fresh file, in one transaction.

    The connection uses Accord's pragmas (WAL, synchronous=NORMAL).
    """
    with tempfile.TemporaryDirectory(prefix="accord-ceiling-") as directory:
        conn = sqlite3.connect(Path(directory) / "ceiling.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(SQLITE_TABLE)
            for statement in INDEXES:
                conn.execute(statement)
            start = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany(SQLITE_INSERT, rows)
            conn.execute("COMMIT")
            elapsed = time.perf_counter() - start
            (count,) = conn.execute("SELECT count(*) FROM ceiling").fetchone()
        finally:
            conn.close()
    if count != len(rows):
        raise RuntimeError(f"the SQLite ceiling stored {count} of {len(rows)} rows")
    return elapsed


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... as a plain libpq URL for psycopg.connect."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def postgres_insert(sqlalchemy_url: str, rows: Sequence[Row], *, copy: bool) -> float:
    """Seconds to insert `rows` into a new table of an empty database, in one transaction.

    `copy` uses COPY FROM STDIN (what Accord's bulk path uses), else executemany.
    """
    with psycopg.connect(libpq_url(sqlalchemy_url)) as conn:
        conn.execute(PG_TABLE)
        for statement in INDEXES:
            conn.execute(statement)
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            if copy:
                with cur.copy(PG_COPY) as pipe:
                    for row in rows:
                        pipe.write_row(row)
            else:
                cur.executemany(PG_INSERT, rows)
        conn.commit()
        elapsed = time.perf_counter() - start
        found = conn.execute("SELECT count(*) FROM ceiling").fetchone()
    if found is None or found[0] != len(rows):
        raise RuntimeError(f"the PostgreSQL ceiling stored {found} of {len(rows)} rows")
    return elapsed
