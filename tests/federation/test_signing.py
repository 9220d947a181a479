"""Signed provenance: what the origin signs cannot be altered on the way."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from accord.federation.signing import (
    NodeKey,
    canonical,
    fingerprint_of,
    normalize_fingerprint,
    provenance,
    sign_object,
    verify_object,
)
from accord.intel.extension import EXTENSION_ID
from tests.factories import indicator

ORIGIN = str(uuid.uuid4())


def _signed(key: NodeKey, **extra: Any) -> dict[str, Any]:
    return sign_object(indicator(distribution="open", **extra), key, ORIGIN)


def test_signature_verifies_with_the_origin_key_only() -> None:
    key, other = NodeKey.generate(), NodeKey.generate()
    obj = _signed(key)
    assert provenance(obj) == (ORIGIN, obj["extensions"][EXTENSION_ID]["signature"])
    assert verify_object(obj, NodeKey.from_public_text(key.public_text()))
    assert not verify_object(obj, other)


def test_any_change_breaks_the_signature() -> None:
    key = NodeKey.generate()
    obj = _signed(key)
    for change in (
        lambda o: o.__setitem__("name", o["name"] + "!"),
        lambda o: o["extensions"][EXTENSION_ID].__setitem__("distribution", "node"),
        lambda o: o["extensions"][EXTENSION_ID].__setitem__("origin_node", str(uuid.uuid4())),
        lambda o: o.__setitem__("labels", ["added"]),
    ):
        altered = copy.deepcopy(obj)
        change(altered)
        assert not verify_object(altered, key)
    unsigned = copy.deepcopy(obj)
    del unsigned["extensions"][EXTENSION_ID]["signature"]
    assert not verify_object(unsigned, key)


def test_key_text_round_trips_and_fingerprints_match() -> None:
    key = NodeKey.generate()
    again = NodeKey.from_private_text(key.private_text())
    assert again.public_text() == key.public_text()
    assert key.fingerprint() == fingerprint_of(key.public_text())
    assert len(key.fingerprint().split(":")) == 16
    assert normalize_fingerprint(key.fingerprint().lower().replace(":", " ")) == key.fingerprint()


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in ("extensions",)),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=6), inner, max_size=4)
            ),
            max_leaves=12,
        ),
        max_size=6,
    )
)
def test_canonical_form_ignores_key_order_and_verifies(extra: dict[str, Any]) -> None:
    key = NodeKey.generate()
    obj = {**extra, "type": "note", "extensions": {EXTENSION_ID: {"distribution": "open"}}}
    signed = sign_object(obj, key, ORIGIN)
    reordered = dict(reversed(list(signed.items())))
    assert canonical(reordered) == canonical(signed)
    assert verify_object(reordered, key)
