"""Parse TAXII 2.1 URL parameters (section 3.4); every malformed one is a 400."""

from __future__ import annotations

import re

from starlette.datastructures import QueryParams

from accord.intel import timestamps
from accord.intel.validation import is_identifier
from accord.taxii.service import Match

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")


class BadParameter(ValueError):
    """A URL parameter the server cannot use (400)."""


def _values(params: QueryParams, name: str) -> list[str]:
    out: list[str] = []
    for raw in params.getlist(name):
        out += [v.strip() for v in raw.split(",")]
    if any(not v for v in out):
        raise BadParameter(f"{name} has an empty value")
    return out


def _timestamp(value: str, name: str) -> str:
    try:
        return timestamps.normalize(timestamps.parse(value))
    except ValueError as exc:
        raise BadParameter(f"{name}: {exc}") from None


def parse_match(params: QueryParams, *, versions_default: str = "last") -> Match:
    match = Match()
    added = params.get("added_after")
    if added is not None:
        try:
            match.added_after = timestamps.parse(added)
        except ValueError as exc:
            raise BadParameter(f"added_after: {exc}") from None
    match.ids = _values(params, "match[id]")
    for value in match.ids:
        if not is_identifier(value):
            raise BadParameter(f"match[id]: {value!r} is not a STIX identifier")
    match.types = _values(params, "match[type]")
    for value in match.types:
        if not _TYPE.match(value):
            raise BadParameter(f"match[type]: {value!r} is not a STIX type")
    versions = _values(params, "match[version]") or [versions_default]
    match.versions = [
        v if v in ("first", "last", "all") else _timestamp(v, "match[version]") for v in versions
    ]
    match.spec_versions = _values(params, "match[spec_version]")
    for value in match.spec_versions:
        if not re.match(r"^\d\.\d$", value):
            raise BadParameter(f"match[spec_version]: {value!r} is not a version like 2.1")
    return match


def parse_limit(params: QueryParams, default: int, maximum: int) -> int:
    raw = params.get("limit")
    if raw is None:
        return default
    # isdigit() alone admits digits int() refuses, such as "\u00b2".
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadParameter("limit must be a positive whole number")
    return min(int(raw), maximum)
