"""The quick canonical form is RFC 8785 byte for byte, and falls back where it would not be."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785

from accord.federation.signing import JCS_INT_MAX, _orjson_exact, canonical, jcs
from bench import data

STRINGS = [
    "",
    '"\\/',
    "\b\t\n\f\r\x00\x1f\x7f",
    "é ü ß",
    "中文",
    "\u2028\u2029",
    "😀",
    "\ue000\uffff",
]


@pytest.mark.parametrize("text", STRINGS)
def test_strings_are_escaped_as_rfc_8785_escapes_them(text: str) -> None:
    value = {"b": text, "a": [text, {"z": text, "y": None, "x": True, "w": -JCS_INT_MAX}]}
    assert _orjson_exact(value)
    assert jcs(value) == rfc8785.dumps(value)


def test_every_bench_object_is_canonical_as_rfc_8785_makes_it() -> None:
    objects = data.generate(300, seed=7, chunk=100)
    assert objects
    for obj in objects:
        assert canonical(obj) == rfc8785.dumps(obj)


@pytest.mark.parametrize(
    "value",
    [
        {"confidence": 0.1, "n": 1e21},
        {"big": JCS_INT_MAX + 1},
        {"\U0001f600": 1, "\ue000": 2},
        {"t": (1, 2)},
    ],
)
def test_what_orjson_would_write_otherwise_goes_the_general_way(value: dict[str, Any]) -> None:
    assert not _orjson_exact(value)


def test_the_fallback_is_rfc_8785_itself() -> None:
    value = {"confidence": 0.1, "n": 1e21, "\U0001f600": 1, "\ue000": 2}
    assert jcs(value) == rfc8785.dumps(value)
    with pytest.raises(rfc8785.IntegerDomainError):
        jcs({"big": JCS_INT_MAX + 1})
