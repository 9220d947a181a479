"""GET /api/v1/objects: filters, keyset pages, versions, revoke, publish, X-Accord-* headers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from accord.identity.models import Role
from accord.intel import service, timestamps
from accord.intel.models import StixObject
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, bundle, indicator, report, sid, stamp

OBJECTS = "/api/v1/objects"
EXT = "extension-definition--f170894b-79ff-485c-9c26-1186b443fc36"


def post(client: httpx.Client, account: Account, *objects: dict[str, Any], **params: str) -> Any:
    r = client.post(OBJECTS, params=params, json=bundle(*objects), headers=account.headers)
    assert r.status_code == 201, r.text
    return r.json()


def ids(client: httpx.Client, account: Account, params: Any = None) -> set[str]:
    r = client.get(OBJECTS, params=params, headers=account.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["more"] is False
    found = [o["id"] for o in page["objects"]]
    assert len(found) == len(set(found)), "an object appears twice in one listing"
    return set(found)


def at(day: str) -> str:
    return f"{day}T00:00:00.000Z"


def threat_actor(**extra: Any) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": sid("threat-actor"),
        "created": now,
        "modified": now,
        "name": "Night Kite",
    } | extra


def attack_pattern(**extra: Any) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": sid("attack-pattern"),
        "created": now,
        "modified": now,
        "name": "Swarm over the border",
    } | extra


def date_added(world: World, stix_id: str) -> str:
    """An object's date_added, with every microsecond, as a query value."""
    with world.db.read() as session:
        added = session.scalars(
            select(StixObject.date_added).where(StixObject.stix_id == stix_id)
        ).one()
    return timestamps.normalize(added)


# --- filters ---------------------------------------------------------------------------------


def test_filters(world: World, client: httpx.Client) -> None:
    north, east = world.org(), world.org()
    alice = world.account(north)
    bob = world.account(east)
    jan = indicator(
        created=at("2025-01-01"),
        modified=at("2025-01-10"),
        labels=["uav", "border"],
        tlp=Tlp.GREEN,
    )
    mar = indicator(
        created=at("2025-01-01"), modified=at("2025-03-10"), labels=["uav"], tlp=Tlp.AMBER
    )
    may = indicator(created=at("2025-01-01"), modified=at("2025-05-10"))
    pattern = attack_pattern(labels=["border"], object_marking_refs=[Tlp.GREEN.marking_id])
    rep = report([jan["id"]], tlp=Tlp.CLEAR)
    post(client, alice, jan, mar, may, pattern, rep, distribution="node")
    actor = threat_actor(created=at("2025-01-01"), modified=at("2025-02-01"))
    theirs = indicator(labels=["uav"], tlp=Tlp.GREEN)
    post(client, bob, actor, theirs, distribution="node")
    everything = {o["id"] for o in (jan, mar, may, pattern, rep, actor, theirs)}

    assert ids(client, bob) == everything
    assert ids(client, bob, {"type": "indicator"}) == {
        jan["id"],
        mar["id"],
        may["id"],
        theirs["id"],
    }
    assert ids(client, bob, [("type", "report"), ("type", "threat-actor")]) == {
        rep["id"],
        actor["id"],
    }
    assert ids(client, bob, {"type": "malware"}) == set()
    assert ids(client, bob, {"owner": north.id}) == {
        jan["id"],
        mar["id"],
        may["id"],
        pattern["id"],
        rep["id"],
    }
    assert ids(client, alice, {"owner": east.id}) == {actor["id"], theirs["id"]}
    assert ids(client, bob, {"label": "uav"}) == {jan["id"], mar["id"], theirs["id"]}
    assert ids(client, bob, [("label", "uav"), ("label", "border")]) == {jan["id"]}
    assert ids(client, bob, {"label": "nothing"}) == set()
    assert ids(client, bob, [("label", "uav")] * 10) == {jan["id"], mar["id"], theirs["id"]}
    assert ids(client, bob, {"tlp": "green"}) == {jan["id"], pattern["id"], theirs["id"]}
    assert ids(client, bob, [("tlp", "green"), ("tlp", "TLP:AMBER")]) == {
        jan["id"],
        pattern["id"],
        theirs["id"],
        mar["id"],
    }
    assert ids(client, bob, {"tlp": "white"}) == {rep["id"]}
    assert ids(client, bob, {"tlp": "none"}) == {may["id"], actor["id"]}
    assert ids(client, bob, {"modified_since": "2025-03-10T00:00:00Z"}) == everything - {
        jan["id"],
        actor["id"],
    }
    assert ids(client, bob, {"modified_since": "2025-02-01T00:00:00.000Z"}) == everything - {
        jan["id"]
    }
    combined = {"type": "indicator", "owner": north.id, "label": "uav", "tlp": "amber"}
    assert ids(client, bob, combined) == {mar["id"]}


def test_added_since_and_published(world: World, client: httpx.Client) -> None:
    north, east = world.org(), world.org()
    alice = world.account(north)
    colleague = world.account(north, Role.OBSERVER)
    bob = world.account(east)
    first, second = indicator(), indicator()
    post(client, alice, first, second, distribution="node")
    later = indicator()
    post(client, bob, later, distribution="node")
    assert ids(client, alice, {"added_since": date_added(world, second["id"])}) == {later["id"]}
    assert ids(client, alice, {"added_since": date_added(world, first["id"])}) == {
        second["id"],
        later["id"],
    }

    mine, theirs = indicator(), indicator()
    post(client, alice, mine, distribution="node", draft="true")
    post(client, bob, theirs, distribution="node", draft="true")
    assert ids(client, alice, {"published": "false"}) == {mine["id"]}
    assert ids(client, colleague, {"published": "false"}) == {mine["id"]}
    assert ids(client, bob, {"published": "false"}) == {theirs["id"]}
    assert ids(client, alice, {"published": "true"}) == {first["id"], second["id"], later["id"]}
    assert ids(client, alice) == {first["id"], second["id"], later["id"], mine["id"]}
    assert ids(client, bob) == {first["id"], second["id"], later["id"], theirs["id"]}


def test_versions_all_lists_every_version(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    v1 = indicator(created=at("2025-01-01"), modified=at("2025-01-01"))
    post(client, alice, v1, distribution="node")
    v2 = dict(v1, modified=at("2025-02-01"), name="renamed")
    post(client, alice, v2, distribution="node")
    other = indicator()
    post(client, alice, other, distribution="node")

    latest = client.get(OBJECTS, headers=bob.headers).json()["objects"]
    assert [(o["id"], o["modified"]) for o in latest] == [
        (v1["id"], at("2025-02-01")),
        (other["id"], other["modified"]),
    ]
    every = client.get(OBJECTS, params={"versions": "all"}, headers=bob.headers).json()["objects"]
    assert [(o["id"], o["modified"]) for o in every] == [
        (v1["id"], at("2025-01-01")),
        (v1["id"], at("2025-02-01")),
        (other["id"], other["modified"]),
    ]
    only = {"versions": "all", "type": "indicator", "modified_since": at("2025-01-15")}
    filtered = client.get(OBJECTS, params=only, headers=bob.headers).json()["objects"]
    assert [o["modified"] for o in filtered] == [at("2025-02-01"), other["modified"]]


# --- keyset pagination -----------------------------------------------------------------------


def _walk(
    client: httpx.Client, account: Account, limit: int, cursor: str | None = None
) -> list[dict[str, Any]]:
    """Follow `next` to the end; every page but the last is full and says `more`."""
    pages = []
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"next": cursor} if cursor else {})
        r = client.get(OBJECTS, params=params, headers=account.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        if not page["more"]:
            assert page["next"] is None
            break
        assert len(page["objects"]) == limit
        assert isinstance(page["next"], str)
        cursor = page["next"]
        assert len(pages) < 100, "pagination does not end"
    return pages


def _ids_of(pages: list[dict[str, Any]]) -> list[str]:
    return [o["id"] for page in pages for o in page["objects"]]


@pytest.mark.parametrize("count", [30, 28])
def test_keyset_pages_concatenate_to_the_full_set(
    world: World, client: httpx.Client, count: int
) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    shared = [indicator() for _ in range(count)]
    # Every third object stays in alice's organization: filtering happens before paging.
    private = [
        indicator(extensions={EXT: {"extension_type": "property-extension", "distribution": "org"}})
        for _ in range(count // 3)
    ]
    mixed = []
    for n, obj in enumerate(shared):
        mixed.append(obj)
        if n % 3 == 2 and private:
            mixed.append(private.pop())
    post(client, alice, *mixed, distribution="node")

    pages = _walk(client, bob, 7)
    seen = _ids_of(pages)
    assert seen == [o["id"] for o in shared]
    assert len(pages) == -(-count // 7)
    assert len(pages[-1]["objects"]) == count - 7 * (len(pages) - 1)
    whole = client.get(OBJECTS, params={"limit": 1000}, headers=bob.headers).json()
    assert [o["id"] for o in whole["objects"]] == seen
    assert whole["more"] is False
    assert whole["next"] is None

    own = _ids_of(_walk(client, alice, 7))
    assert own == [o["id"] for o in mixed]


@pytest.mark.parametrize("versions", ["latest", "all"])
def test_the_listing_serves_the_stored_json_as_the_object_pages_hold_it(
    world: World, client: httpx.Client, versions: str
) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    first = indicator()
    post(client, alice, first, *(indicator() for _ in range(4)), distribution="node")
    later = first | {"modified": stamp(), "name": "Renamed"}
    post(client, alice, later, distribution="node")
    post(client, alice, indicator(), distribution="org")  # not for bob
    f = service.ObjectFilter(all_versions=versions == "all")
    for account in (alice, bob):
        cursor: str | None = None
        for _ in range(10):
            params = {"limit": 2, "versions": versions} | ({"next": cursor} if cursor else {})
            r = client.get(OBJECTS, params=params, headers=account.headers)
            assert r.status_code == 200, r.text
            with world.db.read() as session:
                lean = service.list_texts(session, account.principal, f, 2, cursor)
                full = service.list_objects(session, account.principal, f, 2, cursor)
            assert lean.texts == [row.stix for row in full.rows]
            assert (lean.more, lean.next) == (full.more, full.next)
            tail = orjson.dumps({"more": lean.more, "next": lean.next})[1:]
            assert r.content == b'{"objects":[' + ",".join(lean.texts).encode() + b"]," + tail
            if not lean.more:
                break
            cursor = lean.next
        else:
            raise AssertionError("the listing did not end")


def test_a_cursor_survives_new_objects(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    first = [indicator() for _ in range(30)]
    post(client, alice, *first, distribution="node")
    page1 = client.get(OBJECTS, params={"limit": 7}, headers=bob.headers).json()
    assert page1["more"] is True
    cursor = page1["next"]
    again = client.get(OBJECTS, params={"limit": 7, "next": cursor}, headers=bob.headers).json()

    added = [indicator() for _ in range(5)]
    post(client, alice, *added, distribution="node")
    rest = _walk(client, bob, 7, cursor)
    assert rest[0] == again
    assert _ids_of(rest) == [o["id"] for o in first[7:] + added]
    assert [len(p["objects"]) for p in rest] == [7, 7, 7, 7]
    everything = [o["id"] for o in page1["objects"]] + _ids_of(rest)
    assert everything == [o["id"] for o in first + added]


# --- one object: versions, revoke, publish, headers -------------------------------------------


def _get(client: httpx.Client, account: Account, stix_id: str, **params: str) -> httpx.Response:
    return client.get(f"{OBJECTS}/{stix_id}", params=params, headers=account.headers)


def test_get_latest_and_all_versions(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    v1 = indicator(created=at("2025-01-01"), modified=at("2025-01-01"))
    v2 = dict(v1, modified=at("2025-02-01"), name="second")
    v3 = dict(v1, modified=at("2025-03-01"), name="third, a draft")
    post(client, alice, v1, distribution="node")
    post(client, alice, v2, distribution="node")
    post(client, alice, v3, distribution="node", draft="true")

    theirs = _get(client, bob, v1["id"])
    assert theirs.status_code == 200
    assert theirs.json()["name"] == "second"
    assert theirs.headers["x-accord-published"] == "true"
    mine = _get(client, alice, v1["id"])
    assert mine.json()["name"] == "third, a draft"
    assert mine.headers["x-accord-published"] == "false"

    every = _get(client, bob, v1["id"], versions="all").json()
    assert [o["modified"] for o in every["objects"]] == [at("2025-01-01"), at("2025-02-01")]
    assert every["more"] is False
    assert every["next"] is None
    own = _get(client, alice, v1["id"], versions="all").json()["objects"]
    assert [o["name"] for o in own] == [v1["name"], "second", "third, a draft"]

    missing = sid("indicator")
    for account in (alice, bob):
        assert _get(client, account, missing).status_code == 404
        assert _get(client, account, missing, versions="all").status_code == 404


def test_revoke_is_a_new_version_others_see(world: World, client: httpx.Client) -> None:
    north = world.org()
    alice = world.account(north)
    contributor = world.account(north, Role.CONTRIBUTOR)
    bob = world.account(world.org())
    shared, private = indicator(), indicator()
    post(client, alice, shared, distribution="node")
    post(client, alice, private)

    assert client.post(f"{OBJECTS}/{shared['id']}/revoke", headers=bob.headers).status_code == 403
    assert client.post(f"{OBJECTS}/{private['id']}/revoke", headers=bob.headers).status_code == 404
    by_contributor = client.post(f"{OBJECTS}/{shared['id']}/revoke", headers=contributor.headers)
    assert by_contributor.status_code == 403
    assert _get(client, bob, shared["id"]).json().get("revoked", False) is False

    r = client.post(f"{OBJECTS}/{shared['id']}/revoke", headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["revoked"] == shared["id"]
    version = timestamps.parse(r.json()["version"])
    assert version > timestamps.parse(shared["modified"])

    seen = _get(client, bob, shared["id"])
    assert seen.status_code == 200
    assert seen.headers["x-accord-published"] == "true"
    assert seen.json()["revoked"] is True
    assert timestamps.parse(seen.json()["modified"]) == version
    assert seen.json()["name"] == shared["name"]
    versions = _get(client, bob, shared["id"], versions="all").json()["objects"]
    assert [o.get("revoked", False) for o in versions] == [False, True]
    listed = client.get(OBJECTS, headers=bob.headers).json()["objects"]
    assert [(o["id"], o["revoked"]) for o in listed] == [(shared["id"], True)]

    twice = client.post(f"{OBJECTS}/{shared['id']}/revoke", headers=alice.headers)
    assert twice.status_code == 422
    assert "revoked already" in twice.json()["detail"]


def test_publishing_a_report_publishes_the_owners_references(
    world: World, client: httpx.Client
) -> None:
    north, east = world.org(), world.org()
    alice = world.account(north)
    contributor = world.account(north, Role.CONTRIBUTOR)
    bob = world.account(east)
    # bob's indicator: published once, then a newer draft that alice's report must not publish.
    theirs_v1 = indicator(created=at("2025-01-01"), modified=at("2025-01-01"))
    post(client, bob, theirs_v1, distribution="node")
    theirs_v2 = dict(theirs_v1, modified=at("2025-02-01"), name="bob's draft")
    post(client, bob, theirs_v2, distribution="node", draft="true")

    mine, unrelated = indicator(), indicator()
    rep = report([mine["id"], theirs_v1["id"]])
    post(client, alice, mine, unrelated, rep, distribution="node", draft="true")
    for stix_id in (rep["id"], mine["id"], unrelated["id"]):
        assert _get(client, bob, stix_id).status_code == 404

    url = f"/api/v1/reports/{rep['id']}/publish"
    assert client.post(url, headers=bob.headers).status_code == 404
    assert client.post(url, headers=contributor.headers).status_code == 403
    wrong = client.post(f"/api/v1/reports/{mine['id']}/publish", headers=alice.headers)
    assert wrong.status_code == 404

    r = client.post(url, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert sorted(r.json()["published"]) == sorted([rep["id"], mine["id"]])

    for stix_id in (rep["id"], mine["id"]):
        seen = _get(client, bob, stix_id)
        assert seen.status_code == 200
        assert seen.headers["x-accord-published"] == "true"
    assert _get(client, bob, unrelated["id"]).status_code == 404
    assert _get(client, alice, unrelated["id"]).headers["x-accord-published"] == "false"
    bobs_own = _get(client, bob, theirs_v1["id"])
    assert bobs_own.json()["name"] == "bob's draft"
    assert bobs_own.headers["x-accord-published"] == "false"
    assert _get(client, alice, theirs_v1["id"]).json()["modified"] == at("2025-01-01")
    assert ids(client, bob, {"published": "false"}) == {theirs_v1["id"]}

    assert client.post(url, headers=alice.headers).json() == {"published": []}
    alone = client.post(f"{OBJECTS}/{unrelated['id']}/publish", headers=alice.headers)
    assert alone.json() == {"published": [unrelated["id"]]}
    assert _get(client, bob, unrelated["id"]).status_code == 200


def test_accord_headers_on_get_by_id(world: World, client: httpx.Client) -> None:
    north = world.org()
    alice = world.account(north)
    bob = world.account(world.org())
    obj = indicator(tlp=Tlp.GREEN)
    post(client, alice, obj, distribution="node")
    for account in (alice, bob):
        r = _get(client, account, obj["id"])
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert r.headers["x-accord-owner"] == north.id
        assert r.headers["x-accord-published"] == "true"
        shown = timestamps.parse(r.headers["x-accord-date-added"])
        stored = timestamps.parse(date_added(world, obj["id"]))
        assert shown <= stored < shown + timedelta(milliseconds=1)
        body = r.json()
        assert body["created_by_ref"] == f"identity--{north.id}"
        assert body["extensions"][EXT]["distribution"] == "node"
        assert body["object_marking_refs"] == [Tlp.GREEN.marking_id]
