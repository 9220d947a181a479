"""Over HTTP, what one cannot see does not exist (DESIGN.md section 2): 404, never 403,
with the very bytes a nonexistent id gets; absent from listings; an unknown reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from accord.identity.models import Role
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, bundle, indicator, report

HIDDEN = ["org", "draft", "red", "group"]


@dataclass
class Scene:
    alice: Account  # the owner
    bob: Account  # another organization's node admin
    params: dict[str, str]  # how alice posts so that bob cannot see
    tlp: Tlp


def scene(world: World, hidden: str) -> Scene:
    """Alice's organization, Bob's, and a way for Alice to write what Bob cannot see."""
    owner, other, third = world.org(), world.org(), world.org()
    group = world.group(owner, third)
    alice, bob = world.account(owner), world.account(other, Role.ADMIN)
    params, tlp = {
        "org": ({"distribution": "org"}, Tlp.GREEN),
        "draft": ({"distribution": "node", "draft": "true"}, Tlp.GREEN),
        "red": ({"distribution": "node"}, Tlp.RED),
        "group": ({"distribution": "group", "sharing_group": group.id}, Tlp.GREEN),
    }[hidden]
    return Scene(alice, bob, params, tlp)


def post(client: httpx.Client, who: Account, *objects: dict[str, Any], **params: str) -> None:
    r = client.post("/api/v1/objects", params=params, json=bundle(*objects), headers=who.headers)
    assert r.status_code == 201, r.text


def object_routes(stix_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/api/v1/objects/{stix_id}"),
        ("GET", f"/api/v1/objects/{stix_id}?versions=all"),
        ("POST", f"/api/v1/objects/{stix_id}/revoke"),
        ("POST", f"/api/v1/objects/{stix_id}/publish"),
        ("POST", f"/api/v1/reports/{stix_id}/publish"),
    ]


def answers(client: httpx.Client, who: Account, stix_id: str) -> list[tuple[int, str, bytes]]:
    out = []
    for method, url in object_routes(stix_id):
        r = client.request(method, url, headers=who.headers)
        out.append((r.status_code, r.headers["content-type"], r.content))
    return out


@pytest.mark.parametrize("hidden", HIDDEN)
def test_invisible_is_404_with_the_bytes_of_a_nonexistent_id(
    world: World, client: httpx.Client, hidden: str
) -> None:
    s = scene(world, hidden)
    ind = indicator(tlp=s.tlp)
    rep = report([ind["id"]], tlp=s.tlp)
    before = answers(client, s.bob, rep["id"])  # the id exists nowhere yet
    assert [status for status, _, _ in before] == [404] * 5
    post(client, s.alice, ind, rep, **s.params)
    assert client.get(f"/api/v1/objects/{rep['id']}", headers=s.alice.headers).status_code == 200
    assert answers(client, s.bob, rep["id"]) == before
    # Bob's failed attempts changed nothing.
    got = client.get(f"/api/v1/objects/{rep['id']}?versions=all", headers=s.alice.headers)
    assert [o.get("revoked", False) for o in got.json()["objects"]] == [False]


def test_visible_but_not_ours_is_403(world: World, client: httpx.Client) -> None:
    owner = world.org()
    alice, contributor = world.account(owner), world.account(owner, Role.CONTRIBUTOR)
    bob = world.account(world.org(), Role.ADMIN)
    ind = indicator()
    rep = report([ind["id"]])
    post(client, alice, ind, rep, distribution="node")
    assert client.get(f"/api/v1/objects/{rep['id']}", headers=bob.headers).status_code == 200
    for who in (bob, contributor):
        for method, url in object_routes(rep["id"])[2:]:
            r = client.request(method, url, headers=who.headers)
            assert r.status_code == 403, (method, url, r.text)
            assert r.json()["error"] == "forbidden"
    got = client.get(f"/api/v1/objects/{rep['id']}?versions=all", headers=alice.headers)
    assert [o.get("revoked", False) for o in got.json()["objects"]] == [False]


def ids(client: httpx.Client, who: Account, **params: Any) -> list[str]:
    r = client.get("/api/v1/objects", params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["more"] is False
    return sorted(o["id"] for o in body["objects"])


@pytest.mark.parametrize("hidden", HIDDEN)
def test_listings_and_filters_hold_only_visible_objects(
    world: World, client: httpx.Client, hidden: str
) -> None:
    s = scene(world, hidden)
    label = "unmanned-aerial-vehicles"
    shown = indicator(tlp=Tlp.GREEN, labels=[label])
    shown_rep = report([shown["id"]], tlp=Tlp.GREEN, labels=[label])
    secret = indicator(tlp=s.tlp, labels=[label])
    secret_rep = report([secret["id"]], tlp=s.tlp, labels=[label])
    post(client, s.alice, shown, shown_rep, distribution="node")
    post(client, s.alice, secret, secret_rep, **s.params)
    visible = sorted([shown["id"], shown_rep["id"]])
    owner = s.alice.principal.org_id
    assert ids(client, s.alice, owner=owner) == sorted([*visible, secret["id"], secret_rep["id"]])
    tlp = "red" if s.tlp is Tlp.RED else "green"
    reports = [shown_rep["id"]] if tlp == "green" else []
    for params, expected in [
        ({}, visible),
        ({"owner": owner}, visible),
        ({"label": label}, visible),
        ({"tlp": tlp}, visible if tlp == "green" else []),
        ({"type": ["indicator", "report"]}, visible),
        ({"type": "report", "label": label, "owner": owner, "tlp": tlp}, reports),
        ({"published": "false"}, []),
        ({"versions": "all"}, visible),
        ({"limit": 2}, visible),  # a full page of what bob sees: nothing hidden makes "more"
    ]:
        assert ids(client, s.bob, **params) == expected, params


@pytest.mark.parametrize("hidden", HIDDEN)
def test_reference_to_invisible_is_refused_like_a_nonexistent_one(
    world: World, client: httpx.Client, hidden: str
) -> None:
    s = scene(world, hidden)
    target = indicator(tlp=s.tlp)
    mine = bundle(report([target["id"]]))

    def bob_posts() -> httpx.Response:
        return client.post("/api/v1/objects?distribution=node", json=mine, headers=s.bob.headers)

    before = bob_posts()  # the target exists nowhere yet
    assert before.status_code == 422
    assert before.json()["results"][0]["reason"] == f"references unknown object {target['id']}"
    post(client, s.alice, target, **s.params)
    after = bob_posts()
    assert (after.status_code, after.content) == (before.status_code, before.content)
    # A reference to something bob can see goes through.
    seen = indicator()
    post(client, s.alice, seen, distribution="node")
    r = client.post(
        "/api/v1/objects?distribution=node",
        json=bundle(report([seen["id"]])),
        headers=s.bob.headers,
    )
    assert r.status_code == 201, r.text
