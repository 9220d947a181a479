"""Tables of the persistence layer itself."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base


class WriteLock(Base):
    """One row; every write transaction updates it first (see session.py)."""

    __tablename__ = "write_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
