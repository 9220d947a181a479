"""`accord demo`: a second build adds nothing; the CLI prints every login."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from accord.audit.service import verify
from accord.db import Database
from accord.demo import DEMO_PASSWORD, DemoInfo, Login, build, coalition
from accord.identity.models import ApiKey, User
from accord.identity.service import user_for_api_key
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.models import SharingGroup, sharing_group_orgs

COUNTED = (Organization, User, SharingGroup, StixObject)


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        counts = {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
        }
        counts["memberships"] = (
            session.scalar(select(func.count()).select_from(sharing_group_orgs)) or 0
        )
        counts["last object"] = session.scalar(select(func.max(StixObject.pk))) or 0
    return counts


def test_second_build_adds_nothing_and_issues_fresh_keys(db: Database) -> None:
    first = build(db)
    before = _counts(db)
    second = build(db)
    assert _counts(db) == before
    assert first.created
    assert not second.created
    assert [(x.email, x.role, x.org) for x in second.logins] == [
        (x.email, x.role, x.org) for x in first.logins
    ]
    assert {x.key for x in first.logins}.isdisjoint(x.key for x in second.logins)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 2 * len(first.logins)
        for login in first.logins[:3] + second.logins[:3]:  # earlier keys stay valid
            assert user_for_api_key(session, login.key) is not None
        assert verify(session).ok
    assert second.versions == first.versions == before["StixObject"]


def test_describe_shows_url_password_and_every_login() -> None:
    logins = [
        Login(u.email, u.role.value, coalition.org(u.org).name, f"acc_{n:043d}")
        for n, u in enumerate(coalition.USERS)
    ]
    notes = {o.name: f"{o.kind.value}, {o.country}" for o in coalition.ORGS}
    text = DemoInfo(logins, True, notes, groups=3, versions=500).describe("http://127.0.0.1:8000")
    assert "http://127.0.0.1:8000" in text
    assert DEMO_PASSWORD in text
    for login in logins:
        line = next(li for li in text.splitlines() if login.email in li)
        assert login.role in line
        assert login.key in line
    for org in coalition.ORGS:
        assert f"{org.name} ({org.kind.value}, {org.country})" in text
    assert max(len(line) for line in text.splitlines()) <= 110


def _run_demo(url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ACCORD_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "accord", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_demo_builds_then_reprints_logins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = _run_demo(url)
    assert first.returncode == 0, first.stderr
    output = first.stdout + first.stderr
    assert DEMO_PASSWORD in output
    assert "http://127.0.0.1:8000" in output
    for user in coalition.USERS:
        assert re.search(rf"{re.escape(user.email)}\s+acc_[\w-]+", output), user.email
    again = _run_demo(url)
    assert again.returncode == 0, again.stderr
    assert "already present" in again.stderr
    keys = set(re.findall(r"acc_[\w-]{20,}", output))
    new_keys = set(re.findall(r"acc_[\w-]{20,}", again.stderr))
    assert len(keys) == len(new_keys) == len(coalition.USERS)
    assert keys.isdisjoint(new_keys)
