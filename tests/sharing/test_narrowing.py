"""An object exists for a principal while the version it reads as the object is
visible: a new version that narrows distribution hides the older versions too."""

from __future__ import annotations

import httpx

from accord.sharing.distribution import Distribution
from tests.factories import World, indicator


def test_narrowed_version_hides_history(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    v1 = indicator(created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, v1, distribution=Distribution.NODE).ok
    url = f"/api/v1/objects/{v1['id']}"
    assert client.get(url, headers=bob.headers).status_code == 200
    v2 = dict(v1, modified="2026-02-01T00:00:00.000Z")
    assert world.ingest(alice, v2, distribution=Distribution.ORG).ok

    assert client.get(url, headers=bob.headers).status_code == 404
    assert client.get(url, params={"versions": "all"}, headers=bob.headers).status_code == 404
    listing = client.get("/api/v1/objects", params={"versions": "all"}, headers=bob.headers)
    assert listing.json()["objects"] == []

    owner = client.get(url, params={"versions": "all"}, headers=alice.headers).json()
    assert [o["modified"] for o in owner["objects"]] == [v1["modified"], v2["modified"]]


def test_widened_version_shows_history(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    v1 = indicator(created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, v1, distribution=Distribution.ORG).ok
    v2 = dict(v1, modified="2026-02-01T00:00:00.000Z")
    assert world.ingest(alice, v2, distribution=Distribution.NODE).ok
    got = client.get(
        f"/api/v1/objects/{v1['id']}", params={"versions": "all"}, headers=bob.headers
    ).json()
    # Each version keeps its own distribution: the org-only first version stays hidden.
    assert [o["modified"] for o in got["objects"]] == [v2["modified"]]
