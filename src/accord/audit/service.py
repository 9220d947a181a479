"""Append to and verify the hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
removing or reordering any entry breaks the chain from that point on. Appends happen
inside the caller's write transaction, which holds the writer lock: one chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEntry
from accord.db.base import utcnow

GENESIS = "0" * 64
_HEAD_KEY = "accord.audit.head"


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, target: str, detail: str
) -> str:
    payload = orjson.dumps([prev_hash, seq, at.isoformat(), actor, action, target, detail])
    return hashlib.sha256(payload).hexdigest()


def _head(session: Session) -> tuple[int, str]:
    cached = session.info.get(_HEAD_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def append_many(
    session: Session, entries: Iterable[tuple[str, str, str, dict[str, Any] | None]]
) -> int:
    """Append (actor, action, target, detail) entries; returns how many were written."""
    seq, prev = _head(session)
    at = utcnow()
    rows = []
    for actor, action, target, detail in entries:
        seq += 1
        text = orjson.dumps(detail or {}, option=orjson.OPT_SORT_KEYS).decode()
        digest = entry_hash(prev, seq, at, actor, action, target, text)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "target": target,
                "detail": text,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:
        session.execute(insert(AuditEntry), rows)
        session.info[_HEAD_KEY] = (seq, prev)
    return len(rows)


def append(
    session: Session, actor: str, action: str, target: str, detail: dict[str, Any] | None = None
) -> None:
    append_many(session, [(actor, action, target, detail)])


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def _entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        chunk = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
        )
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify(session: Session) -> VerifyResult:
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in _entries(session):
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1}",
            )
        digest = entry_hash(
            prev, entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.detail
        )
        if digest != entry.hash:
            return VerifyResult(False, checked, entry.seq, f"entry {entry.seq} was altered")
        prev = entry.hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked)
