"""A live server whose node hosts an expert working group, and the people around it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from accord.app import create_app
from accord.db import Database
from accord.identity.models import Role
from accord.organizations.models import OrgKind
from accord.organizations.service import ensure_local_node
from accord.settings import Settings
from tests.factories import Account, World
from tests.server import serve_in_thread

WORKGROUP = "Expert Working Group"


@pytest.fixture(scope="session")
def workgroup_url(_database: Database) -> Iterator[str]:
    """The whole application, with ACCORD_WORKGROUP_ORG naming WORKGROUP."""
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    settings = Settings(database_url="unused://", workgroup_org=WORKGROUP)
    with serve_in_thread(create_app(settings, _database)) as url:
        yield url


@pytest.fixture
def api(db: Database, workgroup_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{workgroup_url}/api/v1", timeout=60) as http:
        yield http


@dataclass
class Cast:
    chair: Account  # an analyst of the working group's organization
    a: Account  # analyst of member organization A
    b: Account  # analyst of member organization B
    a_observer: Account  # observer role in member organization A
    b_contributor: Account  # contributor role in member organization B
    partner: Account  # analyst of a partner organization
    observer_org: Account  # analyst of an observer organization


@pytest.fixture
def cast(world: World) -> Cast:
    wg = world.org(WORKGROUP)
    org_a = world.org("Defence Staff of Aldoria")
    org_b = world.org("General Staff of Belvania")
    partner = world.org("Regional Security Forum", kind=OrgKind.PARTNER)
    observer = world.org("Republic of Corvana", kind=OrgKind.OBSERVER)
    return Cast(
        chair=world.account(wg),
        a=world.account(org_a),
        b=world.account(org_b),
        a_observer=world.account(org_a, Role.OBSERVER),
        b_contributor=world.account(org_b, Role.CONTRIBUTOR),
        partner=world.account(partner),
        observer_org=world.account(observer),
    )
