"""Raw HTTP: media types (section 1.6.8) and error resources (section 3.6)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from accord.identity.models import Role
from tests.factories import Account, World, indicator, sid
from tests.taxii.support import (
    ROOT,
    TAXII,
    Node,
    assert_taxii_error,
    collection_path,
    cursor_for,
    headers,
    manifest_path,
    object_path,
    objects_path,
    read_paths,
    served_objects,
    status_path,
    versions_path,
)

# --- section 1.6.8: media types -------------------------------------------------------------


def test_every_response_has_the_taxii_media_type(
    node: Node, alice: Account, posted: tuple[dict[str, Any], str]
) -> None:
    obj, status_id = posted
    for path in read_paths(node, obj["id"], status_id):
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
    for path in read_paths(node, obj["id"], status_id):
        assert_taxii_error(node.get(alice, path, accept=accept), 406)
    head = headers(alice, accept) | {"Content-Type": TAXII}
    body = orjson.dumps({"objects": [indicator()]})
    response = node.client.post(objects_path(node.default_id), content=body, headers=head)
    assert_taxii_error(response, 406)
    delete = node.client.delete(object_path(node.default_id, obj["id"]), headers=head)
    assert_taxii_error(delete, 406)
    # Nothing was written or revoked.
    stored = served_objects(
        node.get(alice, objects_path(node.default_id), {"match[version]": "all"})
    )
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
    {"next": cursor_for(10**30)},  # beyond any database integer
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
