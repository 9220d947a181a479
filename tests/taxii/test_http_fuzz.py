"""Raw HTTP: random query strings never give a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import Account, sid
from tests.taxii.support import (
    TAXII,
    Node,
    assert_taxii_error,
    assert_valid_stix,
    cursor_for,
    manifest_path,
    objects_path,
)

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
        st.integers(min_value=0, max_value=50).map(cursor_for),
        st.integers(min_value=2**63 - 2, max_value=10**40).map(cursor_for),  # past any BIGINT
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
