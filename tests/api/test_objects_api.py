"""REST /api/v1/objects: write, read back, visibility across organizations."""

from __future__ import annotations

import httpx

from tests.factories import World, bundle, indicator, report


def test_post_then_get_from_owner_and_other_org(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    ind = indicator()
    rep = report([ind["id"]])
    r = client.post(
        "/api/v1/objects?distribution=node", json=bundle(ind, rep), headers=alice.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 2
    listed = client.get("/api/v1/objects", headers=bob.headers).json()
    assert {o["id"] for o in listed["objects"]} == {ind["id"], rep["id"]}
    got = client.get(f"/api/v1/objects/{rep['id']}", headers=bob.headers)
    assert got.status_code == 200
    assert got.json()["object_refs"] == [ind["id"]]


def test_org_distribution_is_404_for_others(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    ind = indicator()
    assert (
        client.post("/api/v1/objects", json=bundle(ind), headers=alice.headers).status_code == 201
    )
    assert client.get(f"/api/v1/objects/{ind['id']}", headers=alice.headers).status_code == 200
    r = client.get(f"/api/v1/objects/{ind['id']}", headers=bob.headers)
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "detail": f"no object {ind['id']}"}
    assert client.get("/api/v1/objects", headers=bob.headers).json()["objects"] == []


def test_no_key_is_401(client: httpx.Client) -> None:
    r = client.get("/api/v1/objects")
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
