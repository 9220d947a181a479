"""GET /api/v1/objects?q=: full-text search with the other filters, keyset pages, the
access rules, hostile text and the OpenAPI description."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accord.identity.models import Role
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, bundle, indicator, sid, stamp

OBJECTS = "/api/v1/objects"


def post(client: httpx.Client, who: Account, *objects: dict[str, Any], **params: str) -> None:
    r = client.post(OBJECTS, params=params, json=bundle(*objects), headers=who.headers)
    assert r.status_code == 201, r.text


def search(client: httpx.Client, who: Account, q: str, **params: Any) -> list[str]:
    r = client.get(OBJECTS, params={"q": q, **params}, headers=who.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["more"] is False
    return [o["id"] for o in page["objects"]]


def actor(name: str, **extra: Any) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": sid("threat-actor"),
        "created": now,
        "modified": now,
        "name": name,
    } | extra


def test_q_finds_and_combines_with_filters(client: httpx.Client, world: World) -> None:
    alice = world.account(world.org())
    kite = actor("Night Kite", labels=["coastal"], description="灰鹭小组的无人机侦察")
    beacon = indicator("203.0.113.40", name="Kite beacon", labels=["coastal"])
    other = actor("Grey Heron")
    post(client, alice, kite, beacon, other)
    assert search(client, alice, "kite") == [kite["id"], beacon["id"]]
    assert search(client, alice, "kite", type="indicator") == [beacon["id"]]
    assert search(client, alice, "kite", label="coastal") == [kite["id"], beacon["id"]]
    assert search(client, alice, "203.0.113.40") == [beacon["id"]]
    assert search(client, alice, "无人机") == [kite["id"]]
    assert search(client, alice, '"grey heron"') == [other["id"]]
    assert search(client, alice, "heron kite") == []


def test_q_pages_with_the_listing_cursor(client: httpx.Client, world: World) -> None:
    alice = world.account(world.org())
    made = [actor(f"Falcon {n}") for n in range(5)]
    post(client, alice, *made, actor("Unrelated"))
    seen: list[str] = []
    params: dict[str, Any] = {"q": "falcon", "limit": 2}
    while True:
        r = client.get(OBJECTS, params=params, headers=alice.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [o["id"] for o in page["objects"]]
        if not page["more"]:
            break
        params["next"] = page["next"]
    assert seen == [o["id"] for o in made]


@pytest.mark.parametrize(
    ("params", "tlp"),
    [
        ({"distribution": "org"}, Tlp.GREEN),
        ({"distribution": "node", "draft": "true"}, Tlp.GREEN),
        ({"distribution": "node"}, Tlp.RED),
        ({"distribution": "group", "sharing_group": "GROUP"}, Tlp.GREEN),
    ],
    ids=["org", "draft", "red", "group"],
)
def test_q_never_reveals_what_the_caller_cannot_see(
    client: httpx.Client, world: World, params: dict[str, str], tlp: Tlp
) -> None:
    owner, member, outsider = world.org(), world.org(), world.org()
    group = world.group(owner, member)
    alice = world.account(owner)
    carol = world.account(outsider, Role.ADMIN)
    hidden = actor("Osprey hidden", object_marking_refs=[tlp.marking_id])
    sent = {k: group.id if v == "GROUP" else v for k, v in params.items()}
    post(client, alice, hidden, **sent)
    assert search(client, alice, "osprey") == [hidden["id"]]
    for q in ("osprey", '"osprey hidden"', "hidden", "osprey hidden"):
        assert search(client, carol, q) == []
        assert search(client, carol, q, versions="all") == []


@pytest.mark.parametrize(
    "q", ["AND OR NOT *", "kite OR heron", "NEAR(kite heron)", "kite*", "'':* | !x", '"kite']
)
def test_hostile_text_is_literal(client: httpx.Client, world: World, q: str) -> None:
    alice = world.account(world.org())
    post(client, alice, actor("Night Kite"), actor("Grey Heron"))
    r = client.get(OBJECTS, params={"q": q}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["objects"]) <= 1  # never both: no operator reached the index


@pytest.mark.parametrize("q", ['"', "", "*", "a\x01b", "x" * 401])
def test_text_that_is_no_search_is_a_clear_client_error(
    client: httpx.Client, world: World, q: str
) -> None:
    alice = world.account(world.org())
    r = client.get(OBJECTS, params={"q": q}, headers=alice.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"] in ("invalid", "invalid_request")
    assert "search" in r.text or "query.q" in r.text  # says what was wrong


def test_openapi_documents_q(client: httpx.Client) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    listing = spec.json()["paths"]["/api/v1/objects"]["get"]
    q = next(p for p in listing["parameters"] if p["name"] == "q")
    assert "full-text" in q["description"]
    assert q["schema"]["anyOf"][0]["maxLength"] == 400
