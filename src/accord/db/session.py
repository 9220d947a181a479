"""Sessions and the single writer lock.

Every write transaction starts by taking one row lock (`write_lock`). On PostgreSQL
that serializes writers across processes; on SQLite the first statement being a
write makes the transaction wait for the database write lock instead of failing
later. Serialized writers give audit entries a single chain and objects a
strictly increasing date_added.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from accord.db.models import WriteLock


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that is not committed: closing the session rolls it back."""
        with self._factory() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction holding the writer lock; committed on success."""
        with self._factory() as session, session.begin():
            session.execute(update(WriteLock).where(WriteLock.id == 1).values(n=WriteLock.n + 1))
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
