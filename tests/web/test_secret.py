"""The session signing key: where it comes from, and what happens without one."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from accord.app import create_app
from accord.db import Database
from accord.settings import Settings, SettingsError
from accord.web.secret import SECRET_ENV, resolve_secret, secret_file
from tests.server import serve_in_thread


def test_the_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SECRET_ENV, "k" * 40)
    url = make_url(f"sqlite:///{tmp_path}/accord.db")
    assert resolve_secret(Settings(extra={"secret_key": "s" * 40}), url) == "k" * 40
    assert not (tmp_path / "accord.db.secret").exists()


def test_a_short_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "too short")
    with pytest.raises(SettingsError, match="at least 32"):
        resolve_secret(Settings(), make_url("postgresql+psycopg://u@127.0.0.1/db"))


def test_sqlite_keeps_a_key_beside_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    url = make_url(f"sqlite:///{tmp_path}/data/accord.db")
    first = resolve_secret(Settings(), url)
    path = tmp_path / "data" / "accord.db.secret"
    assert first is not None
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret(Settings(), url) == first  # a restart, or a second process
    assert sorted(p.name for p in path.parent.iterdir()) == ["accord.db.secret"]


def test_a_damaged_key_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "accord.db.secret"
    path.write_text("short")
    with pytest.raises(SettingsError, match="delete it"):
        secret_file(path)


def test_postgresql_needs_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert resolve_secret(Settings(), make_url("postgresql+psycopg://u@127.0.0.1/db")) is None


def test_without_a_key_pages_explain_what_to_set(db: Database) -> None:
    app = create_app(Settings(database_url="unused://", extra={"secret_key": "s" * 40}), db)
    # What mount() builds when resolve_secret finds no key (PostgreSQL without the variable).
    app.state.web = dataclasses.replace(app.state.web, sessions=None)
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as client:
        page = client.get("/login")
        assert page.status_code == 503
        assert "ACCORD_SECRET_KEY" in page.text
        assert client.get("/api/v1/me").status_code == 401  # the API does not depend on it
