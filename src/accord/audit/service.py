"""Append to and verify the hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
removing or reordering any entry breaks the chain from that point on. Appends happen
inside the caller's write transaction, which holds the writer lock: one chain. The chain
is not keyed: removing the newest entries, or rewriting the chain from some entry on,
is only detected against a copy of the head hash kept elsewhere (THREAT_MODEL.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import ACTION_MAX, ACTOR_MAX, AUDIT_LOG, TARGET_MAX, AuditEntry
from accord.db.base import utcnow
from accord.db.bulk import bulk_insert

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, target: str, detail: str
) -> str:
    return _digest(prev_hash, seq, at.isoformat(), actor, action, target, detail)


def _digest(
    prev_hash: str, seq: int, at: str, actor: str, action: str, target: str, detail: str
) -> str:
    payload = orjson.dumps([prev_hash, seq, at, actor, action, target, detail])
    return hashlib.sha256(payload).hexdigest()


def _fit(text: str, limit: int) -> str:
    """Make any string storable: PostgreSQL refuses NUL and over-long values, and an
    audit entry must never be the reason a write or a login fails."""
    if len(text) <= limit and text.isascii() and "\x00" not in text:
        return text  # already storable as it is (the usual case)
    text = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _head(session: Session) -> tuple[int, str]:
    # Read every time, not cached: a rolled-back savepoint would leave a cache stale.
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
    stamp = at.isoformat()
    # A batch (one ingest) repeats its actor and actions: fit each once.
    actors: dict[str, str] = {}
    actions: dict[str, str] = {}
    rows = []
    for raw_actor, raw_action, raw_target, detail in entries:
        seq += 1
        actor = actors.get(raw_actor) or actors.setdefault(raw_actor, _fit(raw_actor, ACTOR_MAX))
        action = actions.get(raw_action) or actions.setdefault(
            raw_action, _fit(raw_action, ACTION_MAX)
        )
        target = _fit(raw_target, TARGET_MAX)
        text = orjson.dumps(detail or {}, option=orjson.OPT_SORT_KEYS).decode()
        digest = _digest(prev, seq, stamp, actor, action, target, text)
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
        bulk_insert(session, AUDIT_LOG, rows)
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
