"""Helpers shared by the TAXII 2.1 tests: URLs, media types, STIX builders, checks."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import requests
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Collection

from accord.taxii.service import create_collection
from tests.factories import Account, World, stamp

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
ROOT = "/taxii2/accord/"
_OPTIONS = ValidationOptions(version="2.1")


def collection_path(collection_id: str) -> str:
    return f"{ROOT}collections/{collection_id}/"


def objects_path(collection_id: str) -> str:
    return collection_path(collection_id) + "objects/"


def object_path(collection_id: str, object_id: str) -> str:
    return objects_path(collection_id) + f"{object_id}/"


def manifest_path(collection_id: str) -> str:
    return collection_path(collection_id) + "manifest/"


def versions_path(collection_id: str, object_id: str) -> str:
    return object_path(collection_id, object_id) + "versions/"


def status_path(status_id: str) -> str:
    return f"{ROOT}status/{status_id}/"


@dataclass
class Node:
    """A live Accord with its default collection, and the client that talks to it."""

    world: World
    client: httpx.Client
    default_id: str

    @property
    def base(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def url(self, path: str) -> str:
        return self.base + path

    def collection(self, title: str, **options: Any) -> str:
        """Create a collection (types, labels, sharing_group_id, read_roles, write_roles)."""
        with self.world.db.write() as session:
            return create_collection(session, "test", title, **options).id

    def get(
        self,
        account: Account | None,
        path: str,
        params: Any = None,
        accept: str | None = TAXII,
    ) -> httpx.Response:
        return self.client.get(path, params=params, headers=headers(account, accept))

    def post(
        self,
        account: Account | None,
        collection_id: str,
        objects: list[Any],
        params: Any = None,
        content_type: str = TAXII,
    ) -> httpx.Response:
        head = headers(account, TAXII) | {"Content-Type": content_type}
        body = orjson.dumps({"objects": objects})
        return self.client.post(
            objects_path(collection_id), content=body, params=params, headers=head
        )

    def add(
        self, account: Account, objects: list[Any], params: Any = None, collection: str = ""
    ) -> dict[str, Any]:
        """POST objects that must all be stored; returns the status resource."""
        response = self.post(account, collection or self.default_id, objects, params)
        assert response.status_code == 202, response.text
        status: dict[str, Any] = response.json()
        assert status["success_count"] == len(objects), status
        return status


def headers(account: Account | None, accept: str | None = TAXII) -> dict[str, str]:
    out = dict(account.headers) if account is not None else {}
    if accept is not None:
        out["Accept"] = accept
    return out


def collection_of(
    node: Node, account: Account, collection_id: str = "", *, bearer: bool = False
) -> Collection:
    """A taxii2-client Collection as this account sees it (Basic auth, or a bearer key)."""
    url = node.url(collection_path(collection_id or node.default_id))
    if bearer:
        return Collection(url, auth=BearerAuth(account.key))
    return Collection(url, user=account.user.email, password=account.key)


class BearerAuth(requests.auth.AuthBase):
    """taxii2-client sends what a requests auth object sets: here, a bearer API key."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.key}"
        return request


# --- STIX builders -------------------------------------------------------------------------


def clock() -> Callable[[float], str]:
    """STIX timestamps `minutes` after one fixed point ten minutes ago, whole seconds."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    return lambda minutes: stamp(base + timedelta(minutes=minutes))


def attack_pattern(name: str = "Low-altitude drone approach", **extra: Any) -> dict[str, Any]:
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    obj: dict[str, Any] = {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": f"attack-pattern--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": name,
    }
    obj.update(extra)
    return obj


def new_version(obj: dict[str, Any], modified: str, **changes: Any) -> dict[str, Any]:
    return obj | {"modified": modified} | changes


# --- checks --------------------------------------------------------------------------------


def assert_valid_stix(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every object served must be valid STIX 2.1 for the OASIS validator."""
    for obj in objects:
        result = validate_instance(obj, _OPTIONS)
        assert result.is_valid, (obj.get("id"), [str(e) for e in result.errors])
    return objects


def served(envelope: dict[str, Any]) -> dict[str, Any]:
    """An envelope whose objects were checked with stix2-validator."""
    assert_valid_stix(envelope.get("objects", []))
    return envelope


def ids(envelope: dict[str, Any]) -> list[str]:
    return [o["id"] for o in served(envelope).get("objects", [])]


def assert_taxii_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """A TAXII error message resource (section 3.6.1) with the TAXII media type."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == TAXII, response.headers
    body: dict[str, Any] = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("title"), str)
    assert body["title"]
    assert body.get("http_status") == str(status), body
    return body


EXTENSION = "extension-definition--f170894b-79ff-485c-9c26-1186b443fc36"


def served_objects(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == TAXII
    return assert_valid_stix(response.json().get("objects", []))


def cursor_for(pk: int) -> str:
    """A `next` in the shape this server issues (base64 of "1:<pk>")."""
    return base64.urlsafe_b64encode(f"1:{pk}".encode()).decode().rstrip("=")


def read_paths(node: Node, object_id: str, status_id: str) -> list[str]:
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
