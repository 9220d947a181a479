"""The one persistence layer: engine, sessions, portable types and migrations."""

from accord.db.base import Base
from accord.db.engine import is_sqlite, make_engine
from accord.db.session import Database

__all__ = ["Base", "Database", "is_sqlite", "make_engine"]
