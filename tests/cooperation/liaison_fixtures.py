"""Two general staffs and a third, a REST client, and the liaison calls tests repeat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from accord.identity.models import Role
from accord.organizations.models import Organization
from tests.factories import Account, World


@dataclass
class Staffs:
    a_org: Organization
    b_org: Organization
    c_org: Organization  # a third member, outside the channel unless a test adds it
    a: Account
    b: Account
    c: Account
    b_observer: Account


@pytest.fixture
def staffs(world: World) -> Staffs:
    a_org = world.org("General Staff of Aldoria")
    b_org = world.org("General Staff of Belvania")
    c_org = world.org("Defence Staff of Corvana")
    return Staffs(
        a_org,
        b_org,
        c_org,
        world.account(a_org),
        world.account(b_org),
        world.account(c_org),
        world.account(b_org, Role.OBSERVER),
    )


@pytest.fixture
def rest(client: httpx.Client) -> httpx.Client:
    client.base_url = httpx.URL(f"{client.base_url}/api/v1")
    return client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def open_channel(rest: httpx.Client, who: Account, *members: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "Aldoria-Belvania staff talks", "members": list(members), **extra}
    return ok(rest.post("/liaison/channels", json=body, headers=who.headers), 201)  # type: ignore[no-any-return]


def send(rest: httpx.Client, who: Account, channel: str, body: str, **extra: Any) -> httpx.Response:
    return rest.post(
        f"/liaison/channels/{channel}/messages", json={"body": body, **extra}, headers=who.headers
    )


def ack(rest: httpx.Client, who: Account, message: str) -> httpx.Response:
    return rest.post(f"/liaison/messages/{message}/acknowledgement", headers=who.headers)
