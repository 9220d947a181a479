"""The key that signs session cookies: the same for every process and every restart.

Sources, first found wins: ACCORD_SECRET_KEY; `Settings.extra["secret_key"]`; for a
SQLite file, a key generated once into `<database>.secret` beside it (only processes
that share that file share the database). PostgreSQL serves several hosts, which share
no files and where the schema has no place for it: there the variable is required.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import URL

from accord.settings import Settings, SettingsError

SECRET_ENV = "ACCORD_SECRET_KEY"  # noqa: S105  (the name of a variable, not a secret)
MIN_SECRET_LENGTH = 32


def resolve_secret(settings: Settings, url: URL) -> str | None:
    """The signing key, or None when none can be had (PostgreSQL without the variable)."""
    given = os.environ.get(SECRET_ENV) or settings.extra.get("secret_key")
    if given:
        if len(given) < MIN_SECRET_LENGTH:
            raise SettingsError(f"{SECRET_ENV} must be at least {MIN_SECRET_LENGTH} characters")
        return given
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:":
        return secrets.token_urlsafe(32)  # an in-memory database lives in one process
    return secret_file(Path(database).with_name(Path(database).name + ".secret"))


def secret_file(path: Path) -> str:
    """Read the key at `path`, creating it first if absent (safe when processes race)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        # link() fails if another process won the race: then its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        temporary.unlink()
    key = path.read_text("utf-8").strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{path.name} holds no usable key: delete it to make a new one")
    return key
