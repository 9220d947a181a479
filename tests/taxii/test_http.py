"""TAXII 2.1 over raw HTTP: media types, error resources, URL parameters, the
X-TAXII-Date-Added headers, paging, and what a POST stores or refuses.

Every object Accord serves here is checked with stix2-validator.
"""

from __future__ import annotations

import base64
import itertools
import math
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.app import create_app
from accord.identity.models import Role
from accord.intel import timestamps
from accord.settings import Settings
from tests.factories import Account, World, indicator, report, sid
from tests.server import serve_in_thread
from tests.taxii.support import (
    ROOT,
    TAXII,
    Node,
    assert_taxii_error,
    assert_valid_stix,
    attack_pattern,
    clock,
    collection_path,
    headers,
    manifest_path,
    new_version,
    object_path,
    objects_path,
    status_path,
    versions_path,
)

EXTENSION = "extension-definition--f170894b-79ff-485c-9c26-1186b443fc36"


def _objects(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == TAXII
    return assert_valid_stix(response.json().get("objects", []))


def _cursor(pk: int) -> str:
    """A `next` in the shape this server issues (base64 of "1:<pk>")."""
    return base64.urlsafe_b64encode(f"1:{pk}".encode()).decode().rstrip("=")


def _read_paths(node: Node, object_id: str, status_id: str) -> list[str]:
    c = node.default_id
    return [
        "/taxii2/",
        ROOT,
        f"{ROOT}collections/",
        collection_path(c),
        objects_path(c),
        manifest_path(c),
        object_path(c, object_id),
        versions_path(c, object_id),
        status_path(status_id),
    ]


@pytest.fixture
def alice(node: Node) -> Account:
    return node.world.account(node.world.org())


@pytest.fixture
def posted(node: Node, alice: Account) -> tuple[dict[str, Any], str]:
    """One indicator posted by alice, and the id of the POST's status."""
    obj = indicator()
    status = node.add(alice, [obj])
    return obj, status["id"]


# --- section 1.6.8: media types -------------------------------------------------------------


def test_every_response_has_the_taxii_media_type(
    node: Node, alice: Account, posted: tuple[dict[str, Any], str]
) -> None:
    obj, status_id = posted
    for path in _read_paths(node, obj["id"], status_id):
        response = node.get(alice, path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"] == TAXII, path
        assert isinstance(response.json(), dict)
    response = node.post(alice, node.default_id, [indicator()])
    assert (response.status_code, response.headers["content-type"]) == (202, TAXII)
    response = node.client.delete(object_path(node.default_id, obj["id"]), headers=headers(alice))
    assert (response.status_code, response.headers["content-type"]) == (200, TAXII)


@pytest.mark.parametrize(
    "accept",
    [
        "application/xml",
        "application/taxii+json;version=2.0",
        "application/json",
        "text/html",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.1;q=0",
        "application/taxii+json;q=0.0, text/html",
    ],
)
def test_406_for_what_is_not_taxii_2_1(
    node: Node, alice: Account, posted: tuple[dict[str, Any], str], accept: str
) -> None:
    obj, status_id = posted
    for path in _read_paths(node, obj["id"], status_id):
        assert_taxii_error(node.get(alice, path, accept=accept), 406)
    head = headers(alice, accept) | {"Content-Type": TAXII}
    body = orjson.dumps({"objects": [indicator()]})
    response = node.client.post(objects_path(node.default_id), content=body, headers=head)
    assert_taxii_error(response, 406)
    delete = node.client.delete(object_path(node.default_id, obj["id"]), headers=head)
    assert_taxii_error(delete, 406)
    # Nothing was written or revoked.
    stored = _objects(node.get(alice, objects_path(node.default_id), {"match[version]": "all"}))
    assert [(o["id"], o.get("revoked", False)) for o in stored] == [(obj["id"], False)]


@pytest.mark.parametrize(
    "accept",
    [
        None,
        TAXII,
        "application/taxii+json",
        "application/taxii+json; version=2.1",
        "*/*",
        "application/*",
        "text/html, application/taxii+json;version=2.1;q=0.5",
    ],
)
def test_taxii_2_1_is_served_for_these_accept_headers(
    node: Node, alice: Account, accept: str | None
) -> None:
    response = node.get(alice, objects_path(node.default_id), accept=accept)
    assert (response.status_code, response.headers["content-type"]) == (200, TAXII)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.0",
        "text/plain",
        None,
    ],
)
def test_415_for_a_post_that_is_not_taxii_2_1(
    node: Node, alice: Account, content_type: str | None
) -> None:
    head = headers(alice)
    if content_type is not None:
        head["Content-Type"] = content_type
    body = orjson.dumps({"objects": [indicator()]})
    response = node.client.post(objects_path(node.default_id), content=body, headers=head)
    assert_taxii_error(response, 415)
    assert node.get(alice, objects_path(node.default_id)).json()["objects"] == []


def test_a_post_without_version_parameter_is_taxii_2_1(node: Node, alice: Account) -> None:
    response = node.post(
        alice, node.default_id, [indicator()], content_type="application/taxii+json"
    )
    assert response.status_code == 202
    assert response.json()["success_count"] == 1


def test_no_collection_to_show_is_an_empty_resource(world: World, client: httpx.Client) -> None:
    """Section 5.1: `collections` is optional; a node before `accord init` has none."""
    alice = world.account(world.org())
    response = client.get(f"{ROOT}collections/", headers=headers(alice))
    assert (response.status_code, response.headers["content-type"]) == (200, TAXII)
    assert response.json() == {}


# --- section 3.6: the error resource ----------------------------------------------------------


def test_errors_are_taxii_error_resources(node: Node, alice: Account) -> None:
    observer = node.world.account(node.world.org(), Role.OBSERVER)
    objects = objects_path(node.default_id)
    cases: list[tuple[int, httpx.Response]] = [
        (400, node.get(alice, objects, {"limit": "0"})),
        (
            400,
            node.client.post(
                objects, content=b"{not json", headers=headers(alice) | {"Content-Type": TAXII}
            ),
        ),
        (401, node.get(None, objects)),
        (401, node.client.get(objects, headers={"Authorization": "Basic !!!", "Accept": TAXII})),
        (403, node.post(observer, node.default_id, [indicator()])),
        (404, node.get(alice, collection_path("5a0e2bd5-62a1-4c83-9ab2-4d7b2a8f3e11"))),
        (404, node.get(alice, "/taxii2/elsewhere/")),
        (404, node.get(alice, object_path(node.default_id, sid("indicator")))),
        (404, node.get(alice, status_path("5a0e2bd5-62a1-4c83-9ab2-4d7b2a8f3e11"))),
        (406, node.get(alice, objects, accept="application/xml")),
        (415, node.post(alice, node.default_id, [indicator()], content_type="application/json")),
    ]
    for status, response in cases:
        body = assert_taxii_error(response, status)
        assert not response.text.lstrip().startswith("<")
        assert set(body) <= {
            "title",
            "description",
            "http_status",
            "error_id",
            "error_code",
            "external_details",
            "details",
        }
    assert "www-authenticate" in cases[2][1].headers


MALFORMED = [
    {"added_after": "yesterday"},
    {"added_after": "2026-02-30T00:00:00Z"},
    {"added_after": "2026-01-01 00:00:00"},
    {"limit": "0"},
    {"limit": "-1"},
    {"limit": "abc"},
    {"limit": "1.5"},
    {"limit": "\u00b2"},  # a digit to str.isdigit, not to int()
    {"limit": ""},
    {"next": "garbage"},
    {"next": "!!!"},
    {"next": _cursor(10**30)},  # beyond any database integer
    {"match[version]": "soon"},
    {"match[version]": "first,"},
    {"match[id]": "nonsense"},
    {"match[id]": "indicator--not-a-uuid"},
    {"match[type]": "Bad_Type"},
    {"match[type]": ""},
    {"match[spec_version]": "x"},
]


@pytest.mark.parametrize(
    "params", MALFORMED, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_malformed_parameters_are_400(
    node: Node, alice: Account, posted: tuple[dict[str, Any], str], params: dict[str, str]
) -> None:
    obj, _ = posted
    c = node.default_id
    for path in (
        objects_path(c),
        manifest_path(c),
        object_path(c, obj["id"]),
        versions_path(c, obj["id"]),
    ):
        body = assert_taxii_error(node.get(alice, path, params), 400)
        assert body.get("description"), (path, params)


@pytest.mark.parametrize(
    "path",
    [
        f"{ROOT}collections/%00/",
        f"{ROOT}collections/not-a-uuid/objects/",
        f"{ROOT}status/%00/",
        f"{ROOT}status/{'x' * 300}/",
        "{objects}%00/",
        "{objects}{long}/",
        "{objects}indicator--%00/versions/",
        "{objects}not-an-id/versions/",
    ],
)
def test_odd_ids_in_paths_are_404(node: Node, alice: Account, path: str) -> None:
    path = path.format(objects=objects_path(node.default_id), long="a" * 400)
    assert_taxii_error(node.get(alice, path), 404)
    if path.startswith(objects_path(node.default_id)) and not path.endswith("versions/"):
        deleted = node.client.delete(path, headers=headers(alice))
        assert_taxii_error(deleted, 404)


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
    assert [o["id"] for o in _objects(page2)] == [r["id"] for r in records[2:4]]
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
        page = [o["id"] for o in _objects(response)]
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
    assert [o["id"] for o in _objects(there)] == [o["id"] for o in _objects(here)]
    assert [o["id"] for o in _objects(there)] == [o["id"] for o in posted[5:10]]
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


# --- section 5.5: what a POST stores or refuses ---------------------------------------------------


def _assert_status_details(status: dict[str, Any]) -> None:
    """Section 4.3.2: every status-details names the object's id and version."""
    for key in ("successes", "failures", "pendings"):
        for detail in status[key]:
            assert isinstance(detail["id"], str), detail
            assert isinstance(detail["version"], str), detail
    assert status["total_count"] == (
        status["success_count"] + status["failure_count"] + status["pending_count"]
    )
    assert status["success_count"] == len(status["successes"])
    assert status["failure_count"] == len(status["failures"])


def test_one_invalid_object_stores_nothing(node: Node, alice: Account) -> None:
    good = [indicator(), attack_pattern()]
    bad = indicator()
    del bad["pattern"]
    response = node.post(alice, node.default_id, [good[0], bad, good[1]])
    assert response.status_code == 202
    status = response.json()
    assert status["status"] == "complete"
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (3, 0, 3)
    _assert_status_details(status)
    failures = {f["id"]: f for f in status["failures"]}
    assert set(failures) == {good[0]["id"], bad["id"], good[1]["id"]}
    assert "pattern" in failures[bad["id"]]["message"]
    assert failures[bad["id"]]["version"] == bad["modified"]
    assert all(failures[o["id"]]["message"].startswith("not stored") for o in good)
    assert node.get(alice, status_path(status["id"])).json() == status
    assert _objects(node.get(alice, objects_path(node.default_id))) == []


def test_refused_objects_name_a_version_even_when_unreadable(node: Node, alice: Account) -> None:
    no_modified = attack_pattern()
    del no_modified["modified"]
    del no_modified["created"]
    response = node.post(alice, node.default_id, [no_modified, "not an object", {"id": 5}])
    assert response.status_code == 202
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (0, 3)
    _assert_status_details(status)


def test_a_typed_collection_refuses_other_types_per_object(node: Node, alice: Account) -> None:
    only = node.collection("Indicators", types=["indicator"], write_roles=["analyst"])
    fits = indicator()
    misfit = report([fits["id"]])
    response = node.post(alice, only, [fits, misfit])
    assert response.status_code == 202
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (0, 2)
    _assert_status_details(status)
    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert "indicator" in failures[misfit["id"]]
    assert failures[fits["id"]].startswith("not stored")
    assert _objects(node.get(alice, objects_path(only))) == []
    assert _objects(node.get(alice, objects_path(node.default_id))) == []
    node.add(alice, [fits], collection=only)
    assert [o["id"] for o in _objects(node.get(alice, objects_path(only)))] == [fits["id"]]


def test_a_labelled_collection_takes_only_its_labels(node: Node, alice: Account) -> None:
    drones = node.collection("Drones", labels=["drone"], write_roles=["analyst"])
    labelled, plain = indicator(labels=["drone", "uav"]), indicator()
    status = node.post(alice, drones, [plain]).json()
    assert (status["success_count"], status["failure_count"]) == (0, 1)
    assert "drone" in status["failures"][0]["message"]
    node.add(alice, [labelled], collection=drones)
    node.add(alice, [plain])
    assert [o["id"] for o in _objects(node.get(alice, objects_path(drones)))] == [labelled["id"]]


def test_a_group_collection_takes_only_objects_shared_with_its_group(node: Node) -> None:
    w = node.world
    org = w.org()
    group, other_group = w.group(org), w.group(org)
    author = w.account(org)
    desk = node.collection("Desk", sharing_group_id=group.id, write_roles=["analyst"])
    mismatched = [
        indicator(distribution="node"),
        indicator(distribution="group", sharing_group=other_group.id),
    ]
    for obj in mismatched:
        status = node.post(author, desk, [obj]).json()
        assert (status["success_count"], status["failure_count"]) == (0, 1), status
        assert "sharing group" in status["failures"][0]["message"]
    explicit = indicator(distribution="group", sharing_group=group.id)
    implicit = indicator()
    node.add(author, [explicit, implicit], collection=desk)
    got = _objects(node.get(author, objects_path(desk)))
    assert [o["id"] for o in got] == [explicit["id"], implicit["id"]]
    assert all(o["extensions"][EXTENSION]["sharing_group"] == group.id for o in got)
    # ?distribution=node asks for something the collection cannot hold.
    refused = node.post(author, desk, [indicator()], {"distribution": "node"}).json()
    assert refused["failure_count"] == 1


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.CONTRIBUTOR])
def test_post_by_a_role_that_may_not_write_is_403(node: Node, role: Role) -> None:
    account = node.world.account(node.world.org(), role)
    resource = node.get(account, collection_path(node.default_id)).json()
    assert resource["can_write"] is False
    assert_taxii_error(node.post(account, node.default_id, [indicator()]), 403)
    # Even a collection that lists the role cannot make it a writer of published objects.
    open_door = node.collection(f"Open door {role.value}", write_roles=[role.value])
    assert node.get(account, collection_path(open_door)).json()["can_write"] is True
    assert_taxii_error(node.post(account, open_door, [indicator()]), 403)
    writer = node.world.account(node.world.org())
    assert _objects(node.get(writer, objects_path(node.default_id))) == []


def test_reading_a_write_only_collection_is_403_and_a_foreign_group_is_404(
    node: Node, alice: Account
) -> None:
    drop_box = node.collection("Drop box", read_roles=["admin"], write_roles=["analyst"])
    node.add(alice, [indicator()], collection=drop_box)
    for path in (objects_path(drop_box), manifest_path(drop_box)):
        assert_taxii_error(node.get(alice, path), 403)
    group = node.world.group(node.world.org())
    desk = node.collection("Desk", sharing_group_id=group.id)
    for path in (collection_path(desk), objects_path(desk), manifest_path(desk)):
        assert_taxii_error(node.get(alice, path), 404)
    assert_taxii_error(node.post(alice, desk, [indicator()]), 404)


def test_bad_bodies_are_400(node: Node, alice: Account) -> None:
    head = headers(alice) | {"Content-Type": TAXII}
    for body in (b"", b"{", b'{"objects": 5}', b"5", b"null", b"\xff\xfe", b"[" * 5000):
        response = node.client.post(objects_path(node.default_id), content=body, headers=head)
        assert_taxii_error(response, 400)
    for params in (
        {"distribution": "everyone"},
        {"sharing_group": "nonsense"},
        {"distribution": "group"},
    ):
        assert_taxii_error(node.post(alice, node.default_id, [indicator()], params), 400)
    assert _objects(node.get(alice, objects_path(node.default_id))) == []


def test_deleting_twice_is_a_taxii_error(node: Node, alice: Account) -> None:
    obj = indicator()
    node.add(alice, [obj])
    path = object_path(node.default_id, obj["id"])
    assert node.client.delete(path, headers=headers(alice)).status_code == 200
    assert_taxii_error(node.client.delete(path, headers=headers(alice)), 400)
    assert len(node.get(alice, versions_path(node.default_id, obj["id"])).json()["versions"]) == 2


# --- robustness: random query strings ----------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
_STAMPS = st.datetimes(timezones=st.just(UTC)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
) | st.sampled_from(
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.123456789Z",
        "9999-12-31T23:59:59.999999Z",
        "0000-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T00:00:00+01:00",
        "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",  # full-width digits
    ]
)


def _listed(*items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(*items), min_size=1, max_size=3).map(",".join)


# Per parameter: values that mean something to it, odd ones, and any text.
_BY_NAME: dict[str, st.SearchStrategy[str]] = {
    "added_after": st.one_of(_STAMPS, _TEXT),
    "limit": st.one_of(
        st.sampled_from(["1", "2", "7", "1000", "10000000", "0", "-1", "+3", "07", "1e3"]),
        st.sampled_from(["\u00b2", "\u0661\u0662", "\uff17"]),  # digits, but not ASCII
        st.integers(min_value=-5, max_value=10**40).map(str),
        _TEXT,
    ),
    "next": st.one_of(
        st.integers(min_value=0, max_value=50).map(_cursor),
        st.integers(min_value=2**63 - 2, max_value=10**40).map(_cursor),  # past any BIGINT
        st.sampled_from(["MTot", "MTo", "Mjox", "=", "\x00"]),
        _TEXT,
    ),
    "match[id]": _listed(st.sampled_from([sid("indicator"), sid("report")]), _TEXT),
    "match[type]": _listed(
        st.sampled_from(["indicator", "report", "x-accord-exercise", "Bad_Type", "ab"]), _TEXT
    ),
    "match[version]": _listed(st.sampled_from(["first", "last", "all"]), _STAMPS, _TEXT),
    "match[spec_version]": _listed(st.sampled_from(["2.1", "2.0", "2.10", "3"]), _TEXT),
    "junk": _TEXT,
}
_JUNK_KEYS = st.sampled_from(["match[foo]", "match[]", "match", "x", "", "LIMIT", "next[]"])


def _pair(name: str) -> st.SearchStrategy[tuple[str, str]]:
    key = st.one_of(_JUNK_KEYS, _TEXT) if name == "junk" else st.just(name)
    return st.tuples(key, _BY_NAME[name])


# sampled_from picks names evenly; few pairs, so that one bad value does not hide the rest.
_QUERIES = st.lists(st.sampled_from(sorted(_BY_NAME)).flatmap(_pair), max_size=3)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=_QUERIES, listing=st.sampled_from(["objects", "manifest"]))
def test_random_query_strings_never_500(
    node: Node,
    alice: Account,
    posted: tuple[dict[str, Any], str],
    query: list[tuple[str, str]],
    listing: str,
) -> None:
    c = node.default_id
    path = objects_path(c) if listing == "objects" else manifest_path(c)
    response = node.get(alice, path, query)
    assert response.status_code < 500, (query, response.text)
    assert response.headers["content-type"] == TAXII
    if response.status_code >= 400:
        assert_taxii_error(response, response.status_code)
        return
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["more"], bool)
    if listing == "objects":
        assert_valid_stix(body["objects"])
    for record in body["objects"]:
        assert record["id"] == posted[0]["id"]
    if body["objects"]:
        added = response.headers["X-TAXII-Date-Added-Last"]
        assert datetime.fromisoformat(added.replace("Z", "+00:00")).tzinfo is not None
