"""After a transaction that published objects commits, wake whoever pushes them to peers.

The write path marks its session (`mark_published`); once that session commits, every
subscriber is called. Subscribers must be quick (set an event): the pushing happens in
the sync worker's own thread, after the publishing request has been answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "accord.federation.published"
_subscribers: list[Callable[[], None]] = []
_lock = threading.Lock()


def mark_published(session: Session) -> None:
    """Note that this transaction publishes objects."""
    session.info[_KEY] = True


def subscribe(callback: Callable[[], None]) -> None:
    with _lock:
        _subscribers.append(callback)


def unsubscribe(callback: Callable[[], None]) -> None:
    with _lock:
        if callback in _subscribers:
            _subscribers.remove(callback)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_KEY, False):
        with _lock:
            callbacks = list(_subscribers)
        for callback in callbacks:
            callback()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
