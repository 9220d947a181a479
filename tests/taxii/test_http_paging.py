"""Raw HTTP: date_added headers, added_after paging, next and more."""

from __future__ import annotations

import itertools
import math
from typing import Any

import httpx
import pytest

from accord.app import create_app
from accord.intel import timestamps
from accord.settings import Settings
from tests.factories import Account, indicator
from tests.server import serve_in_thread
from tests.taxii.support import (
    Node,
    assert_valid_stix,
    attack_pattern,
    clock,
    headers,
    manifest_path,
    new_version,
    object_path,
    objects_path,
    served_objects,
    versions_path,
)

# --- X-TAXII-Date-Added-First / -Last -----------------------------------------------------------


def _manifest(node: Node, account: Account, params: dict[str, Any]) -> list[dict[str, Any]]:
    response = node.get(account, manifest_path(node.default_id), params)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json().get("objects", [])
    return records


def test_date_added_headers_match_the_page(node: Node, alice: Account) -> None:
    t = clock()
    first = indicator(created=t(0), modified=t(0), valid_from=t(0))
    others = [indicator(), attack_pattern(), indicator()]
    node.add(alice, [first, *others[:2]])
    node.add(alice, [new_version(first, t(1)), others[2]])
    node.add(alice, [new_version(first, t(2))])
    c = node.default_id
    listings: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (objects_path(c), {}, {}),
        (objects_path(c), {"match[version]": "all"}, {"match[version]": "all"}),
        (
            objects_path(c),
            {"limit": "2", "match[version]": "all"},
            {"limit": "2", "match[version]": "all"},
        ),
        (manifest_path(c), {"match[type]": "indicator"}, {"match[type]": "indicator"}),
        (manifest_path(c), {"match[version]": "first"}, {"match[version]": "first"}),
        (
            object_path(c, first["id"]),
            {"match[version]": "all"},
            {"match[id]": first["id"], "match[version]": "all"},
        ),
        (object_path(c, first["id"]), {}, {"match[id]": first["id"]}),
        (versions_path(c, first["id"]), {}, {"match[id]": first["id"], "match[version]": "all"}),
    ]
    for path, params, same_as in listings:
        response = node.get(alice, path, params)
        assert response.status_code == 200, (path, response.text)
        records = _manifest(node, alice, same_as)
        assert records, (path, params)
        assert response.headers["X-TAXII-Date-Added-First"] == records[0]["date_added"]
        assert response.headers["X-TAXII-Date-Added-Last"] == records[-1]["date_added"]
        assert_valid_stix(response.json().get("objects", []) if "manifest" not in path else [])
    # A page in the middle of a listing: its own first and last.
    page1 = node.get(alice, objects_path(c), {"limit": "2", "match[version]": "all"})
    page2 = node.get(
        alice,
        objects_path(c),
        {"limit": "2", "next": page1.json()["next"], "match[version]": "all"},
    )
    records = _manifest(node, alice, {"match[version]": "all"})
    assert page2.headers["X-TAXII-Date-Added-First"] == records[2]["date_added"]
    assert page2.headers["X-TAXII-Date-Added-Last"] == records[3]["date_added"]
    assert [o["id"] for o in served_objects(page2)] == [r["id"] for r in records[2:4]]
    # No objects, no headers.
    empty = node.get(alice, objects_path(c), {"match[type]": "malware"})
    assert empty.status_code == 200
    assert "X-TAXII-Date-Added-First" not in empty.headers
    assert "X-TAXII-Date-Added-Last" not in empty.headers


def test_date_added_is_distinct_and_increasing(node: Node, alice: Account) -> None:
    bob = node.world.account(node.world.org())
    posted: list[str] = []
    for round_ in range(4):
        author = alice if round_ % 2 == 0 else bob
        batch = [indicator(distribution="node") for _ in range(12)]
        node.add(author, batch)
        posted += [o["id"] for o in batch]
    records = _manifest(node, alice, {})
    assert [r["id"] for r in records] == posted
    added = [timestamps.parse(r["date_added"]) for r in records]
    assert all(a < b for a, b in itertools.pairwise(added))
    assert len({r["date_added"] for r in records}) == len(records)


def test_paging_by_added_after_never_skips_nor_repeats(node: Node, alice: Account) -> None:
    posted: list[str] = []
    for _ in range(3):
        batch = [indicator() for _ in range(20)]
        node.add(alice, batch)
        posted += [o["id"] for o in batch]
    seen: list[str] = []
    params: dict[str, str] = {"limit": "7"}
    requests_made = 0
    while True:
        response = node.get(alice, objects_path(node.default_id), params)
        requests_made += 1
        page = [o["id"] for o in served_objects(response)]
        if not page:
            assert "X-TAXII-Date-Added-Last" not in response.headers
            break
        assert len(page) <= 7
        seen += page
        params = {"limit": "7", "added_after": response.headers["X-TAXII-Date-Added-Last"]}
    assert seen == posted
    assert requests_made == math.ceil(60 / 7) + 1


# --- paging with next / more --------------------------------------------------------------------


def test_next_is_stateless_and_works_on_another_server(node: Node, alice: Account) -> None:
    posted = [indicator() for _ in range(12)]
    node.add(alice, posted)
    first = node.get(alice, objects_path(node.default_id), {"limit": "5"}).json()
    assert first["more"] is True
    token = first["next"]
    here = node.get(alice, objects_path(node.default_id), {"limit": "5", "next": token})
    # A second server over the same database, as after a restart or behind a load balancer.
    settings = Settings(database_url="unused://")
    with (
        serve_in_thread(create_app(settings, node.world.db)) as other_url,
        httpx.Client(base_url=other_url, timeout=60) as other,
    ):
        there = other.get(
            objects_path(node.default_id),
            params={"limit": "5", "next": token},
            headers=headers(alice),
        )
    assert [o["id"] for o in served_objects(there)] == [o["id"] for o in served_objects(here)]
    assert [o["id"] for o in served_objects(there)] == [o["id"] for o in posted[5:10]]
    assert there.json()["more"] is True


@pytest.mark.parametrize("listing", ["objects", "manifest"])
def test_more_and_next_are_right(node: Node, alice: Account, listing: str) -> None:
    node.add(alice, [indicator() for _ in range(10)])
    path = objects_path(node.default_id) if listing == "objects" else manifest_path(node.default_id)

    def page(**params: str) -> dict[str, Any]:
        response = node.get(alice, path, params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if listing == "objects":
            assert_valid_stix(body["objects"])
        return body

    for limit in ("10", "11", "1000"):
        whole = page(limit=limit)
        assert (whole["more"], len(whole["objects"])) == (False, 10)
        assert "next" not in whole
    head = page(limit="9")
    assert (head["more"], len(head["objects"])) == (True, 9)
    tail = page(limit="9", next=head["next"])
    assert (tail["more"], len(tail["objects"])) == (False, 1)
    assert "next" not in tail
    ids = [o["id"] for o in head["objects"] + tail["objects"]]
    assert ids == [o["id"] for o in page()["objects"]]
    assert len(set(ids)) == 10
