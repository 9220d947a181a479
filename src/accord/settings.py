"""Typed settings read from ACCORD_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

DEFAULT_DATABASE_URL = "sqlite:///./var/accord.db"


class SettingsError(ValueError):
    """A setting has a value we cannot use."""


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest request body the API accepts, in bytes (413 beyond it).
    max_body_bytes: int = 100 * 1024 * 1024
    # How far into the future a STIX timestamp may lie (clock skew between nodes).
    future_tolerance_seconds: int = 300
    page_size_default: int = 100
    page_size_max: int = 1000
    node_name: str = "accord"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("ACCORD_DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=os.environ.get("ACCORD_HOST") or "127.0.0.1",
            port=_int("ACCORD_PORT", 8000, 1),
            max_body_bytes=_int("ACCORD_MAX_BODY_BYTES", 100 * 1024 * 1024, 1024),
            future_tolerance_seconds=_int("ACCORD_FUTURE_TOLERANCE_SECONDS", 300),
            page_size_default=_int("ACCORD_PAGE_SIZE_DEFAULT", 100, 1),
            page_size_max=_int("ACCORD_PAGE_SIZE_MAX", 1000, 1),
            node_name=os.environ.get("ACCORD_NODE_NAME") or "accord",
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
