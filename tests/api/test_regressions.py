"""Bugs found while testing the REST API, pinned."""

from __future__ import annotations

import base64

import httpx

from accord.identity.models import Role
from accord.intel import timestamps
from accord.sharing.distribution import Distribution
from tests.factories import World, indicator

OBJECTS = "/api/v1/objects"


def test_huge_cursor_is_422(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    cursor = base64.urlsafe_b64encode(b"1:99999999999999999999999").decode().rstrip("=")
    r = client.get(OBJECTS, params={"next": cursor}, headers=alice.headers)
    assert r.status_code == 422
    assert "cursor" in r.json()["detail"]


def test_org_admin_cannot_take_over_a_node_admin(world: World, client: httpx.Client) -> None:
    home = world.org()
    org_admin = world.account(home, Role.ORG_ADMIN)
    admin = world.account(home, Role.ADMIN)
    mint = client.post(
        "/api/v1/apikeys", json={"user_id": admin.user.id}, headers=org_admin.headers
    )
    assert mint.status_code == 403
    patch = client.patch(
        f"/api/v1/users/{admin.user.id}", json={"is_active": False}, headers=org_admin.headers
    )
    assert patch.status_code == 403
    keys = client.get("/api/v1/apikeys", headers=admin.headers).json()
    own = next(k for k in keys if k["user_id"] == admin.user.id)
    revoke = client.delete(f"/api/v1/apikeys/{own['id']}", headers=org_admin.headers)
    assert revoke.status_code in (403, 404)
    assert client.get("/api/v1/me", headers=admin.headers).status_code == 200


def test_revoking_does_not_publish_a_newer_draft(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    v1 = indicator(created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, v1, distribution=Distribution.NODE).ok
    v2 = dict(v1, modified="2026-02-01T00:00:00.000Z", name="secret draft wording")
    assert world.ingest(alice, v2, distribution=Distribution.NODE, published=False).ok
    assert client.post(f"{OBJECTS}/{v1['id']}/revoke", headers=alice.headers).status_code == 200
    seen = client.get(f"{OBJECTS}/{v1['id']}", headers=bob.headers).json()
    assert seen["revoked"] is True
    assert seen["name"] == v1["name"]


def test_years_before_1000_keep_fixed_width() -> None:
    moment = timestamps.parse("0999-01-01T00:00:00.000Z")
    assert timestamps.normalize(moment) == "0999-01-01T00:00:00.000000Z"
    assert timestamps.format_stix(moment) == "0999-01-01T00:00:00.000Z"


def test_publishing_a_draft_makes_it_new(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    first = indicator(labels=["border"])
    assert world.ingest(alice, first, distribution=Distribution.NODE, published=False).ok
    later = indicator()
    assert world.ingest(alice, later, distribution=Distribution.NODE).ok
    seen = client.get(OBJECTS, headers=bob.headers).json()
    assert [o["id"] for o in seen["objects"]] == [later["id"]]
    cutoff = client.get(f"{OBJECTS}/{later['id']}", headers=bob.headers).headers[
        "X-Accord-Date-Added"
    ]
    published = client.post(f"{OBJECTS}/{first['id']}/publish", headers=alice.headers)
    assert published.json() == {"published": [first["id"]]}
    # What bob sees for the first time comes after everything he has read already.
    since = client.get(OBJECTS, params={"added_since": cutoff}, headers=bob.headers).json()
    assert [o["id"] for o in since["objects"]] == [first["id"]]
    everything = client.get(OBJECTS, headers=bob.headers).json()
    assert [o["id"] for o in everything["objects"]] == [later["id"], first["id"]]
    labelled = client.get(OBJECTS, params={"label": "border"}, headers=bob.headers).json()
    assert [o["id"] for o in labelled["objects"]] == [first["id"]]
