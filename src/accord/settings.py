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


def _bool(name: str) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


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
    # Where peers reach this node (given to a peer in the handshake); None until set.
    public_url: str | None = None
    # The organization (name or UUID) that hosts and chairs the expert working group.
    workgroup_org: str = ""
    # Seconds between background syncs with peer nodes in `accord serve` (0: none).
    sync_interval: int = 0
    # The mail server of the public news digest (smtplib); no host: no digest.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
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
            sync_interval=_int("ACCORD_SYNC_INTERVAL", 300),
            public_url=os.environ.get("ACCORD_PUBLIC_URL") or None,
            workgroup_org=os.environ.get("ACCORD_WORKGROUP_ORG") or "",
            smtp_host=os.environ.get("ACCORD_SMTP_HOST") or "",
            smtp_port=_int("ACCORD_SMTP_PORT", 25, 1),
            smtp_from=os.environ.get("ACCORD_SMTP_FROM") or "",
            smtp_starttls=_bool("ACCORD_SMTP_STARTTLS"),
            smtp_user=os.environ.get("ACCORD_SMTP_USER") or None,
            smtp_password=os.environ.get("ACCORD_SMTP_PASSWORD") or None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
