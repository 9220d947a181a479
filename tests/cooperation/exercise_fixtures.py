"""A planner, a partner contingent, an observer and an outsider, and the calls tests repeat."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEntry
from accord.db import Database
from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Organization, OrgKind
from accord.sharing.models import SharingGroup
from tests.factories import Account, World


@dataclass
class Sides:
    planner_org: Organization
    partner_org: Organization
    observer_org: Organization
    outsider_org: Organization
    planner: Account  # analyst of the planning member organization
    partner: Account  # analyst of the partner organization sending a contingent
    observer: Account  # analyst of the observing third country
    outsider: Account  # analyst of a member organization with no part in the exercise
    planner_reader: Account  # observer role in the planning organization


@pytest.fixture
def sides(world: World) -> Sides:
    planner_org = world.org("Defence Staff of Aldoria")
    partner_org = world.org("Regional Security Forum", kind=OrgKind.PARTNER)
    observer_org = world.org("Republic of Corvana", kind=OrgKind.THIRD_COUNTRY)
    outsider_org = world.org("General Staff of Belvania")
    return Sides(
        planner_org,
        partner_org,
        observer_org,
        outsider_org,
        world.account(planner_org),
        world.account(partner_org),
        world.account(observer_org),
        world.account(outsider_org),
        world.account(planner_org, Role.OBSERVER),
    )


@pytest.fixture
def rest(db: Database, live_url: str) -> Iterator[httpx.Client]:
    """REST under /api/v1 (the `client` fixture stays at the root, for TAXII)."""
    with httpx.Client(base_url=f"{live_url}/api/v1", timeout=60) as http:
        yield http


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.text, response.text


def plan_body(sides: Sides, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Steppe Shield 2026",
        "description": "Command-post and field exercise.",
        "start_time": "2026-09-01T00:00:00Z",
        "end_time": "2026-09-10T00:00:00Z",
        "objectives": ["countering-uav", "crisis-response"],
        "other_objectives": ["Joint medical evacuation"],
        "contingents": [
            {"organization": sides.partner_org.name, "description": "A UAV unit", "personnel": 40}
        ],
        "observers": [sides.observer_org.id],
        "phases": [
            {
                "name": "Command-post phase",
                "start_time": "2026-09-01T00:00:00Z",
                "end_time": "2026-09-04T00:00:00Z",
                "location": "Lake Verin training area",
            },
            {
                "name": "Field phase",
                "start_time": "2026-09-05T00:00:00Z",
                "end_time": "2026-09-10T00:00:00Z",
                "location": "Mount Arvel range",
            },
        ],
    }
    body.update(extra)
    return body


def plan(rest: httpx.Client, sides: Sides, **extra: Any) -> dict[str, Any]:
    response = rest.post(
        "/exercises", json=plan_body(sides, **extra), headers=sides.planner.headers
    )
    return ok(response, 201)  # type: ignore[no-any-return]


def state(db: Database) -> tuple[int, int, int, int]:
    """Objects, sharing groups, group memberships and audit entries: what a write changes."""
    members = SharingGroup.__table__.metadata.tables["sharing_group_orgs"]
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(StixObject)) or 0,
            session.scalar(select(func.count()).select_from(SharingGroup)) or 0,
            session.scalar(select(func.count()).select_from(members)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )
