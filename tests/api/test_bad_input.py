"""Bad input to POST /api/v1/objects: a clear 4xx, a per-object reason, nothing stored.

Also: the query parameters of the object routes, the write roles, and a property-based
test that no JSON body makes the server answer 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.identity.models import Role
from accord.sharing.tlp import Tlp
from tests.conftest import TEST_BODY_LIMIT
from tests.factories import Account, World, bundle, indicator, report, sid, stamp

EXT = "extension-definition--f170894b-79ff-485c-9c26-1186b443fc36"
OBJECTS = "/api/v1/objects"


@dataclass
class Ctx:
    """What a bad-object case may refer to: the writer, groups and another organization."""

    alice: Account
    own_group: str
    foreign_group: str
    other_org: str


Case = Callable[[Ctx], list[dict[str, Any]]]


def _with_ext(obj: dict[str, Any], **ext: Any) -> dict[str, Any]:
    obj["extensions"] = {EXT: {"extension_type": "property-extension", **ext}}
    return obj


def _future(days: int = 1) -> str:
    return stamp(datetime.now(UTC) + timedelta(days=days))


def _relationship(source: str, target: str) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": sid("relationship"),
        "created": now,
        "modified": now,
        "relationship_type": "indicates",
        "source_ref": source,
        "target_ref": target,
    }


def _sighting(of: str) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": sid("sighting"),
        "created": now,
        "modified": now,
        "sighting_of_ref": of,
    }


def _opinion(value: Any, about: str) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "opinion",
        "spec_version": "2.1",
        "id": sid("opinion"),
        "created": now,
        "modified": now,
        "opinion": value,
        "object_refs": [about],
    }


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"down": value}
    return value


def _duplicate(_ctx: Ctx) -> list[dict[str, Any]]:
    first = indicator()
    return [first, dict(first, name="same id again")]


def _relationship_with_known_source(_ctx: Ctx) -> list[dict[str, Any]]:
    source = indicator()
    return [source, _relationship(source["id"], sid("threat-actor"))]


# Each case: a bad object (last in the list) and the words its refusal must contain.
BAD_OBJECTS: dict[str, tuple[Case, str]] = {
    "name is a number": (lambda c: [indicator(name=5)], "name must be a string"),
    "labels not a list": (lambda c: [indicator(labels="x")], "labels must be a list"),
    "labels not strings": (lambda c: [indicator(labels=[1, 2])], "labels must be a list"),
    "confidence 101": (lambda c: [indicator(confidence=101)], "confidence must be"),
    "revoked yes": (lambda c: [indicator(revoked="yes")], "revoked must be true or false"),
    "unknown type": (
        lambda c: [dict(indicator(), type="x-mystery", id=sid("x-mystery"))],
        "unknown object type 'x-mystery'",
    ),
    "bad uuid": (
        lambda c: [indicator(id="indicator--not-a-uuid")],
        "is not of the form type--uuid",
    ),
    "id of another type": (lambda c: [indicator(id=sid("malware"))], "does not match type"),
    "unknown object_refs": (
        lambda c: [report([sid("indicator")])],
        "references unknown object indicator--",
    ),
    "unknown source_ref": (
        lambda c: [_relationship(sid("indicator"), sid("threat-actor"))],
        "references unknown object",
    ),
    "unknown target_ref": (_relationship_with_known_source, "references unknown object"),
    "unknown sighting_of_ref": (
        lambda c: [_sighting(sid("indicator"))],
        "references unknown object indicator--",
    ),
    "unknown custom marking": (
        lambda c: [indicator(object_marking_refs=[sid("marking-definition")])],
        "references unknown object marking-definition--",
    ),
    "created in the future": (
        lambda c: [indicator(created=_future(), modified=_future())],
        "is in the future",
    ),
    "modified in the future": (lambda c: [indicator(modified=_future(2))], "is in the future"),
    "timestamp without Z": (
        lambda c: [
            indicator(created="2026-01-01T00:00:00.000", modified="2026-01-01T00:00:00.000")
        ],
        "not an RFC 3339 UTC timestamp",
    ),
    "February 30": (
        lambda c: [indicator(created="2026-02-30T00:00:00Z", modified="2026-02-30T00:00:00Z")],
        "not a valid date",
    ),
    "modified before created": (
        lambda c: [
            indicator(created="2026-02-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
        ],
        "modified is earlier than created",
    ),
    "duplicate id in the bundle": (_duplicate, "duplicate id"),
    "invalid pattern": (
        lambda c: [indicator(pattern="[ipv4-addr:value = ")],
        "pattern is not valid STIX 2.1",
    ),
    "two TLP markings": (
        lambda c: [indicator(object_marking_refs=[Tlp.GREEN.marking_id, Tlp.RED.marking_id])],
        "only one TLP marking",
    ),
    "unknown distribution": (
        lambda c: [_with_ext(indicator(), distribution="everyone")],
        "distribution must be one of",
    ),
    "group without sharing_group": (
        lambda c: [_with_ext(indicator(), distribution="group")],
        "distribution group needs sharing_group",
    ),
    "sharing_group with node": (
        lambda c: [_with_ext(indicator(), distribution="node", sharing_group=c.own_group)],
        "sharing_group is only allowed with distribution group",
    ),
    "sharing group of others": (
        lambda c: [_with_ext(indicator(), distribution="group", sharing_group=c.foreign_group)],
        "unknown sharing group",
    ),
    "created_by_ref of another org": (
        lambda c: [indicator(created_by_ref=f"identity--{c.other_org}")],
        "created_by_ref names another organization",
    ),
    # Found while fuzzing: each was a 500 before.
    "opinion as a list": (
        lambda c: [
            (ind := indicator()),
            _opinion(["agree"], ind["id"]),
        ],
        "opinion must be one of",
    ),
    "label too long": (lambda c: [indicator(labels=["x" * 251])], "at most 250 characters"),
    "label with NUL": (lambda c: [indicator(labels=["a\x00b"])], "NUL character"),
    "nested too deep": (lambda c: [indicator(x_deep=_nested(300))], "nested more than"),
    "NUL in a property name": (lambda c: [indicator(**{"x_\x00": 1})], "NUL character"),
    "NUL in a string": (lambda c: [indicator(description="a\x00b")], "NUL character"),
    "NUL deep in a list": (lambda c: [indicator(x_notes=[{"k": ["ok", "\x00"]}])], "NUL"),
    "pattern nested too deep": (
        lambda c: [indicator(pattern="(" * 3000 + "[ipv4-addr:value = '1.2.3.4']" + ")" * 3000)],
        "pattern is not valid STIX 2.1",
    ),
}


@pytest.fixture
def ctx(world: World) -> Ctx:
    home, other = world.org(), world.org()
    alice = world.account(home, Role.ANALYST)
    own = world.group(home, other)
    foreign = world.group(other)
    return Ctx(alice, own.id, foreign.id, other.id)


def _ids(objects: list[Any]) -> list[str]:
    return [o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)]


def assert_nothing_stored(client: httpx.Client, account: Account, ids: list[str]) -> None:
    """The same user reads back none of the refused request's objects."""
    for stix_id in ids:
        r = client.get(f"{OBJECTS}/{stix_id}", headers=account.headers)
        assert r.status_code in (404, 422), (stix_id, r.text)
        assert r.json()["error"] in {"not_found", "invalid_request"}
    listed = client.get(OBJECTS, params={"published": "true"}, headers=account.headers).json()
    drafts = client.get(OBJECTS, params={"published": "false"}, headers=account.headers).json()
    assert listed["objects"] == drafts["objects"] == []


@pytest.mark.parametrize("case", list(BAD_OBJECTS), ids=list(BAD_OBJECTS))
def test_bad_object_is_refused_with_a_reason_and_nothing_is_stored(
    ctx: Ctx, client: httpx.Client, case: str
) -> None:
    build, words = BAD_OBJECTS[case]
    good = indicator()
    objects = [good, *build(ctx)]
    r = client.post(OBJECTS, json=bundle(*objects), headers=ctx.alice.headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_objects"
    assert body["created"] == 0
    assert "nothing was stored" in body["detail"]
    results = body["results"]
    assert len(results) == len(objects)
    bad = results[-1]
    assert bad["status"] == "refused"
    assert words in bad["reason"], bad["reason"]
    assert results[0] == {
        "index": 0,
        "id": good["id"],
        "status": "not-stored",
        "version": results[0]["version"],
        "reason": "not stored: other objects in this request were refused",
    }
    assert_nothing_stored(client, ctx.alice, _ids(objects))


def test_foreign_and_missing_sharing_groups_read_the_same(ctx: Ctx, client: httpx.Client) -> None:
    """A group one is not in does not exist: same words as a group that does not exist."""
    missing = "0b7c1f3e-1d0e-4a4f-9f57-2d1c9b0a6e11"
    reasons = []
    for group in (ctx.foreign_group, missing):
        obj = _with_ext(indicator(), distribution="group", sharing_group=group)
        r = client.post(OBJECTS, json=bundle(obj), headers=ctx.alice.headers)
        assert r.status_code == 422
        reasons.append(r.json()["results"][0]["reason"].replace(group, "<id>"))
    assert reasons[0] == reasons[1] == "unknown sharing group <id>"
    own = _with_ext(indicator(), distribution="group", sharing_group=ctx.own_group)
    assert client.post(OBJECTS, json=bundle(own), headers=ctx.alice.headers).status_code == 201


# --- the body as a whole -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "error", "words"),
    [
        (b'{"type": "bundle", "objects": [', 400, "malformed_json", "not valid JSON"),
        (b"", 400, "malformed_json", "not valid JSON"),
        (b"42", 422, "invalid_bundle", "expected a STIX bundle"),
        (b'"a bundle"', 422, "invalid_bundle", "expected a STIX bundle"),
        (b"null", 422, "invalid_bundle", "expected a STIX bundle"),
        (b'{"type": "bundle", "id": "bundle--x", "objects": {}}', 422, "invalid_bundle", "list"),
        (b'{"type": "bundle", "id": "bundle--x", "objects": 7}', 422, "invalid_bundle", "list"),
        (
            b'{"type": "bundle", "id": "bundle--x", "objects": []}',
            422,
            "invalid_bundle",
            "no objects",
        ),
        (b'{"type": "bundle", "id": "bundle--x"}', 422, "invalid_bundle", "no objects"),
        (b"[]", 422, "invalid_bundle", "no objects"),
    ],
)
def test_body_that_is_not_a_bundle(
    ctx: Ctx, client: httpx.Client, body: bytes, status: int, error: str, words: str
) -> None:
    r = client.post(
        OBJECTS, content=body, headers={**ctx.alice.headers, "Content-Type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == error
    assert words in r.json()["detail"]
    assert_nothing_stored(client, ctx.alice, [])


def test_objects_that_are_not_objects(ctx: Ctx, client: httpx.Client) -> None:
    good = indicator()
    body = {"type": "bundle", "id": sid("bundle"), "objects": [good, 5, "x", None]}
    r = client.post(OBJECTS, json=body, headers=ctx.alice.headers)
    assert r.status_code == 422
    reasons = [res.get("reason") for res in r.json()["results"]]
    assert reasons[1:] == ["each object must be a JSON object"] * 3
    assert_nothing_stored(client, ctx.alice, [good["id"]])


def _oversize_bundle() -> tuple[dict[str, Any], bytes]:
    obj = indicator(description="x" * (TEST_BODY_LIMIT + 100))
    return obj, json.dumps(bundle(obj)).encode()


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_oversize_body_with_content_length_is_413(ctx: Ctx, client: httpx.Client) -> None:
    obj, data = _oversize_bundle()
    r = client.post(
        OBJECTS, content=data, headers={**ctx.alice.headers, "Content-Type": "application/json"}
    )
    assert r.request.headers["content-length"] == str(len(data))
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"
    assert str(TEST_BODY_LIMIT) in r.json()["detail"]
    assert_nothing_stored(client, ctx.alice, [obj["id"]])


def test_oversize_chunked_body_is_413(ctx: Ctx, client: httpx.Client) -> None:
    obj, data = _oversize_bundle()
    r = client.post(
        OBJECTS,
        content=_chunks(data),
        headers={**ctx.alice.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"
    assert_nothing_stored(client, ctx.alice, [obj["id"]])


def test_oversize_chunked_body_to_a_form_route_is_413(world: World, client: httpx.Client) -> None:
    """Routes with a body model too: FastAPI must not turn the limit into a 400."""
    admin = world.account(world.org(), Role.ADMIN)
    data = json.dumps({"name": "x" * (TEST_BODY_LIMIT + 10), "country": "AA", "kind": "member"})
    r = client.post(
        "/api/v1/organizations",
        content=_chunks(data.encode()),
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"


# --- query parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"distribution": "bogus"},
        {"sharing_group": "not-a-uuid"},
        {"distribution": "group"},
        {"distribution": "node", "sharing_group": "0b7c1f3e-1d0e-4a4f-9f57-2d1c9b0a6e11"},
        {"draft": "perhaps"},
    ],
)
def test_bad_write_parameters_are_422(
    ctx: Ctx, client: httpx.Client, params: dict[str, str]
) -> None:
    good = indicator()
    r = client.post(OBJECTS, params=params, json=bundle(good), headers=ctx.alice.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"] in {"invalid", "invalid_request"}
    assert r.json()["detail"]
    assert_nothing_stored(client, ctx.alice, [good["id"]])


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (OBJECTS, {"limit": "0"}),
        (OBJECTS, {"limit": "-3"}),
        (OBJECTS, {"limit": "ten"}),
        (OBJECTS, {"next": "garbage"}),
        (OBJECTS, {"next": "é"}),
        (OBJECTS, {"tlp": "purple"}),
        (OBJECTS, {"modified_since": "yesterday"}),
        (OBJECTS, {"modified_since": "2026-02-30T00:00:00Z"}),
        (OBJECTS, {"added_since": "2026-01-01"}),
        (OBJECTS, {"published": "maybe"}),
        (OBJECTS, {"versions": "some"}),
        (OBJECTS, {"label": "a\x00b"}),
        # One EXISTS clause per label: PostgreSQL took a minute to plan 200 of them.
        (OBJECTS, {"label": [f"l{n}" for n in range(11)]}),
        (OBJECTS, {"type": ["indicator"] * 51}),
        (OBJECTS, {"tlp": ["red"] * 7}),
        (f"{OBJECTS}/indicator--x%00", {}),
        (f"{OBJECTS}/indicator--0f9a1f3c-6a1b-4c1e-9d1f-2f5e0b6c7d8e", {"versions": "every"}),
    ],
)
def test_bad_read_parameters_are_422(
    ctx: Ctx, client: httpx.Client, url: str, params: dict[str, Any]
) -> None:
    r = client.get(url, params=params, headers=ctx.alice.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] in {"invalid", "invalid_request"}
    assert r.json()["detail"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/users/x%00", None),
        ("GET", "/api/v1/organizations/x%00", None),
        ("GET", "/api/v1/sharing-groups/x%00", None),
        ("DELETE", "/api/v1/apikeys/x%00", None),
        ("POST", "/api/v1/objects/indicator--x%00/revoke", None),
        ("GET", "/api/v1/objects?owner=x%00", None),
        ("GET", "/api/v1/objects?type=x%00", None),
        ("POST", "/api/v1/organizations", {"name": "x\x00", "country": "AA", "kind": "member"}),
        ("POST", "/api/v1/users", {"email": "x\x00@example.org", "role": "observer"}),
        ("POST", "/api/v1/apikeys", {"user_id": "x\x00"}),
        ("POST", "/api/v1/sharing-groups", {"name": "g", "members": ["x\x00"]}),
        ("POST", "/api/v1/sharing-groups", {"name": "g\x00"}),
    ],
)
def test_nul_characters_are_422_not_500(
    world: World, client: httpx.Client, method: str, url: str, body: dict[str, Any] | None
) -> None:
    """PostgreSQL text cannot hold NUL: it is refused before any query, on both databases."""
    admin = world.account(world.org(), Role.ADMIN)
    r = client.request(method, url, json=body, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert "NUL" in json.dumps(r.json()["detail"])


# --- who may write ---------------------------------------------------------------------------


def test_observer_may_not_write(world: World, client: httpx.Client) -> None:
    observer = world.account(world.org(), Role.OBSERVER)
    good = indicator()
    for params in ({}, {"draft": "true"}):
        r = client.post(OBJECTS, params=params, json=bundle(good), headers=observer.headers)
        assert r.status_code == 403
        assert r.json()["error"] == "forbidden"
    assert_nothing_stored(client, observer, [good["id"]])


def test_contributor_writes_drafts_only(world: World, client: httpx.Client) -> None:
    home = world.org()
    contributor = world.account(home, Role.CONTRIBUTOR)
    colleague = world.account(home, Role.OBSERVER)
    stranger = world.account(world.org(), Role.ANALYST)
    obj = indicator()
    refused = client.post(
        OBJECTS, params={"distribution": "node"}, json=bundle(obj), headers=contributor.headers
    )
    assert refused.status_code == 403
    assert "draft=true" in refused.json()["detail"]
    assert_nothing_stored(client, contributor, [obj["id"]])

    r = client.post(
        OBJECTS,
        params={"distribution": "node", "draft": "true"},
        json=bundle(obj),
        headers=contributor.headers,
    )
    assert r.status_code == 201, r.text
    own = client.get(f"{OBJECTS}/{obj['id']}", headers=colleague.headers)
    assert own.status_code == 200
    assert own.headers["x-accord-published"] == "false"
    assert client.get(f"{OBJECTS}/{obj['id']}", headers=stranger.headers).status_code == 404
    assert client.get(OBJECTS, headers=stranger.headers).json()["objects"] == []
    publish = client.post(f"{OBJECTS}/{obj['id']}/publish", headers=contributor.headers)
    assert publish.status_code == 403


# --- no input makes a 500 ------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _templates() -> list[dict[str, Any]]:
    ind = indicator(labels=["uav"], tlp=Tlp.GREEN, confidence=50)
    rep = report([ind["id"]], distribution="node")
    return [
        ind,
        rep,
        _relationship(ind["id"], ind["id"]),
        _sighting(ind["id"]),
        _opinion("agree", ind["id"]),
        {"type": "ipv4-addr", "spec_version": "2.1", "id": sid("ipv4-addr"), "value": "192.0.2.1"},
    ]


@st.composite
def mutated_bundles(draw: st.DrawFn) -> Any:
    """A valid bundle of related objects with one object damaged."""
    objects = [dict(o) for o in _templates()]
    target = draw(st.integers(0, len(objects) - 1))
    obj = objects[target]
    key = draw(st.sampled_from(sorted(obj)))
    action = draw(st.sampled_from(["drop", "retype", "add"]))
    if action == "drop":
        del obj[key]
    elif action == "retype":
        obj[key] = draw(json_values)
    else:
        obj[draw(st.text(max_size=12))] = draw(json_values)
    keep = draw(st.booleans())
    return bundle(*objects) if keep else bundle(obj)


def _assert_json_answer(r: httpx.Response) -> None:
    assert r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    if r.status_code >= 400:
        assert isinstance(body, dict)
        assert isinstance(body.get("error"), str)


@pytest.fixture
def fuzzer(world: World) -> tuple[Account, str]:
    home = world.org()
    return world.account(home, Role.ANALYST), world.group(home).id


_fuzz = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_fuzz
@given(payload=json_values)
def test_random_json_never_makes_a_500(
    client: httpx.Client, fuzzer: tuple[Account, str], payload: Any
) -> None:
    account, _group = fuzzer
    r = client.post(OBJECTS, content=json.dumps(payload).encode(), headers=account.headers)
    _assert_json_answer(r)


@_fuzz
@given(
    payload=mutated_bundles(),
    draft=st.booleans(),
    distribution=st.sampled_from(["", "node", "group"]),
)
def test_damaged_bundles_never_make_a_500(
    client: httpx.Client,
    fuzzer: tuple[Account, str],
    payload: Any,
    draft: bool,
    distribution: str,
) -> None:
    account, group = fuzzer
    params = {"draft": "true"} if draft else {}
    if distribution:
        params["distribution"] = distribution
    if distribution == "group":
        params["sharing_group"] = group
    r = client.post(
        OBJECTS, params=params, content=json.dumps(payload).encode(), headers=account.headers
    )
    _assert_json_answer(r)
