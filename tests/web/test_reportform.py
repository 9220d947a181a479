"""The report editor's form: values to patterns and observables, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import FormData

from accord.intel.patterns import pattern_error
from accord.web.reportform import (
    KINDS,
    ReportForm,
    build_objects,
    kind_of_observable,
    kind_of_pattern,
)

GROUP = "6f1c2a9e-1d0e-4a4f-9f57-2d1c9b0a6e11"


@pytest.mark.parametrize(
    ("kind", "value", "pattern"),
    [
        ("ipv4-addr", "203.0.113.7", "[ipv4-addr:value = '203.0.113.7']"),
        ("ipv4-addr", "198.51.100.0/24", "[ipv4-addr:value = '198.51.100.0/24']"),
        ("ipv6-addr", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
        ("domain-name", "relay.example.org", "[domain-name:value = 'relay.example.org']"),
        (
            "url",
            "https://x.example/a?b='c'\\d",
            "[url:value = 'https://x.example/a?b=\\'c\\'\\\\d']",
        ),
        ("email-addr", "o'brien@example.org", "[email-addr:value = 'o\\'brien@example.org']"),
        ("file-sha256", "a" * 64, f"[file:hashes.'SHA-256' = '{'a' * 64}']"),
        ("file-sha1", "b" * 40, f"[file:hashes.'SHA-1' = '{'b' * 40}']"),
        ("file-md5", "c" * 32, f"[file:hashes.MD5 = '{'c' * 32}']"),
    ],
)
def test_patterns_are_valid_stix_and_read_back(kind: str, value: str, pattern: str) -> None:
    written = KINDS[kind].pattern(value)
    assert written == pattern
    assert pattern_error(written) is None
    assert kind_of_pattern(written) == (KINDS[kind], value)
    assert kind_of_observable(KINDS[kind].observable(value)) == (KINDS[kind], value)


def test_observable_ids_are_the_stix_deterministic_ones() -> None:
    # STIX 2.1 section 2.9, the example of ipv4-addr 198.51.100.3 computed by the stix2 library
    import stix2

    for kind, value in (
        ("ipv4-addr", "198.51.100.3"),
        ("file-sha256", "e" * 64),
        ("url", "https://a.example/"),
    ):
        mine = KINDS[kind].observable(value)
        props = {k: v for k, v in mine.items() if k not in ("id", "type", "spec_version")}
        theirs = getattr(
            stix2, {"ipv4-addr": "IPv4Address", "file": "File", "url": "URL"}[mine["type"]]
        )(**props)
        assert mine["id"] == theirs.id


def test_other_patterns_are_not_read_as_form_rows() -> None:
    assert (
        kind_of_pattern("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.org']") is None
    )
    assert kind_of_pattern("[process:name = 'x']") is None


def _form(**fields: str | list[str]) -> ReportForm:
    items: list[tuple[str, str]] = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            items.append((name, v))
    return ReportForm.read(FormData(items))


def test_values_are_checked_and_normalized() -> None:
    form = _form(
        name="x",
        ind_kind=["ipv4-addr", "domain-name", "file-md5", "url", "ipv4-addr"],
        ind_value=["10.0.0.300", "Example.ORG.", "C" * 32, "example.org", "  "],
        ind_id=["", "", "", "", ""],
        tlp="red",
        distribution="group",
        sharing_group=GROUP,
    )
    assert not form.validate(frozenset({GROUP}))
    assert [r.error is None for r in form.indicators] == [
        False,
        True,
        True,
        False,
    ]  # blank row dropped
    assert [r.value for r in form.indicators][1:3] == ["example.org", "c" * 32]
    assert form.errors == {}


def test_group_distribution_needs_one_of_my_groups() -> None:
    assert not _form(name="x", distribution="group", sharing_group=GROUP).validate(frozenset())
    assert _form(name="x", distribution="group", sharing_group=GROUP).validate(frozenset({GROUP}))
    assert _form(name="x", distribution="node", sharing_group=GROUP).group_id is None


def test_a_report_with_text_alone_references_its_author() -> None:
    form = _form(name="Lessons from exercise Northern Shield", tlp="clear", distribution="node")
    assert form.validate(frozenset())
    report_id, objects = build_objects(
        form, "identity--0d6d0b5e-9b52-4d0a-9f0e-111111111111", None, datetime.now(UTC)
    )
    assert [o["id"] for o in objects] == [report_id]
    assert objects[0]["object_refs"] == ["identity--0d6d0b5e-9b52-4d0a-9f0e-111111111111"]
    assert objects[0]["object_marking_refs"] == [
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    ]
