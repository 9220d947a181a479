"""Accord's small JSON Schema checker agrees with the reference implementation
(`jsonschema`) on the shipped schemas, over randomly altered objects."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from accord.cooperation.schemacheck import schema_error
from accord.cooperation.types import CUSTOM_TYPES
from tests.cooperation import samples

# Values of every JSON kind the schemas tell apart. Timestamps that match the pattern
# are real dates: the reference checker does not assert `format`, ours does.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-200, max_value=200),
    st.sampled_from([0.5, 90.0, -180.5, 45.25]),
    st.sampled_from(["", "x", "2026-04-14T08:00:00Z", "2026-04-14", "VA", "Varnelia"]),
    st.sampled_from(
        ["proposed", "decided", "meeting", "party", "countering-uav", "crisis-response"]
    ),
    st.sampled_from([samples.sid(t) for t in ("identity", "report", *CUSTOM_TYPES)]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "statement", "start_time", "organization_ref", "x"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _alter(obj: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    changed = dict(obj)
    keys = sorted(set(obj) | set(CUSTOM_TYPES[obj["type"]].schema["properties"]))
    for key in data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True)):
        if data.draw(st.booleans()) and key in changed:
            del changed[key]
        else:
            changed[key] = data.draw(_VALUES)
    return changed


@pytest.mark.parametrize("stix_type", sorted(samples.VALID))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_checker_agrees_with_jsonschema(stix_type: str, data: st.DataObject) -> None:
    schema = CUSTOM_TYPES[stix_type].schema
    obj = _alter(samples.VALID[stix_type](), data)
    ours = schema_error(obj, schema)
    reference = Draft202012Validator(schema).is_valid(obj)
    assert (ours is None) == reference, ours
