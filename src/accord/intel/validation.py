"""Validation of one STIX 2.1 object, fast and without stix2 library objects.

`check_object` returns what ingest needs (normalized timestamps, TLP, distribution,
labels, references) or raises `Refusal` with a reason a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from accord.cooperation.types import validator_for
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID
from accord.intel.patterns import pattern_error
from accord.intel.vocabulary import (
    OPINION_VALUES,
    SCO_REQUIRED,
    SDO_REQUIRED,
    SMO_REQUIRED,
)
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import TLP_BY_MARKING_ID, Tlp

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# The type part is lazy: an id has one place where "--" + a UUID can end it, and a greedy
# type part would first run over the whole UUID and then back off one character at a time.
_ID_RE = re.compile(
    r"^([a-z0-9][a-z0-9-]{1,248}?[a-z0-9])--"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$"
)
_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_MAX_REFS = 100_000
# object_labels.label is VARCHAR(250); PostgreSQL text cannot hold NUL.
MAX_LABEL_LENGTH = 250
# orjson serializes at most 254 levels; STIX objects need far fewer.
MAX_DEPTH = 64
_MILLIS = re.compile(r"\.\d{3,}Z$")
_CONTAINERS = (dict, list)
_REF_SUFFIXES = ("_ref", "_refs")
# Timestamps are compared as normalized text (timestamps.normalize), whose order is time
# order. The bound for those that may lie in the future (valid_until, published...):
_NEVER = timestamps.normalize(datetime.max.replace(tzinfo=UTC))
# How producers usually write a timestamp; `_usual_time` reads it without a datetime.
_USUAL_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3,6}Z"
).fullmatch


class Refusal(Exception):
    """An object cannot be accepted; `str(refusal)` is the reason."""


@dataclass
class CheckedObject:
    obj: dict[str, Any]
    id: str
    type: str
    spec_version: str
    created: str | None
    modified: str | None  # None for objects without versions (SCOs)
    tlp: Tlp
    distribution: Distribution | None  # None: take the request's default
    sharing_group: str | None
    labels: list[str]
    refs: set[str] = field(default_factory=set)
    marking_refs: set[str] = field(default_factory=set)


def is_identifier(value: object, of_type: str | None = None) -> bool:
    if not isinstance(value, str):
        return False
    m = _ID_RE.match(value)
    return m is not None and (of_type is None or m.group(1) == of_type)


def _require(obj: dict[str, Any], names: tuple[str | tuple[str, ...], ...]) -> None:
    for name in names:
        if isinstance(name, tuple):
            if not any(n in obj for n in name):
                raise Refusal(f"one of the properties {', '.join(name)} is required")
        elif name not in obj:
            raise Refusal(f"property {name!r} is required")


@lru_cache(maxsize=4096)
def _is_day(text: str) -> bool:
    """Is YYYY-MM-DD (ASCII digits) a day of the calendar? A bundle has few days."""
    try:
        date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return False
    return True


def _usual_time(value: object) -> str | None:
    """A timestamp of the usual shape (YYYY-MM-DDTHH:MM:SS.sss[sss]Z, a real moment)
    normalized, or None: then timestamps.parse decides, and explains a refusal."""
    if (
        isinstance(value, str)
        and _USUAL_TIME(value)
        and value[11:13] < "24"
        and value[14:16] < "60"
        and value[17:19] < "60"
        and _is_day(value[:10])
    ):
        return f"{value[:-1]:0<26}Z"
    return None


def _timestamp(obj: dict[str, Any], name: str, latest: str, *, millis: bool = False) -> str:
    """The property `name` as normalized text, no later than `latest` (normalized)."""
    value = obj[name]
    normalized = _usual_time(value)
    if normalized is None:
        try:
            normalized = timestamps.normalize(timestamps.parse(value))
        except ValueError as exc:
            raise Refusal(f"{name}: {exc}") from None
        # STIX 2.1 3.2: created and modified are precise to the millisecond at least.
        if millis and not _MILLIS.search(value):
            raise Refusal(f"{name} must have at least millisecond precision (.sssZ)")
    if normalized > latest:
        raise Refusal(f"{name} {value} is in the future")
    return normalized


def _too_deep(obj: dict[str, Any]) -> bool:
    """Is the object nested deeper than MAX_DEPTH (counted level by level, no recursion)?"""
    level: list[Any] = [obj]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, _CONTAINERS)
        ]
        if not level:
            return False
    return True


def _nul_in(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


def _holds_nul(obj: dict[str, Any]) -> bool:
    """NUL cannot be stored as PostgreSQL text or jsonb: refused on every backend alike.

    orjson writes NUL as the escape `\\u0000`; only when that text appears (a NUL, or
    a literal backslash-u0000) is the object walked to tell which.
    """
    return b"\\u0000" in orjson.dumps(obj) and _nul_in(obj)


def _string_list(obj: dict[str, Any], name: str, *, non_empty: bool = False) -> list[str]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Refusal(f"{name} must be a list of non-empty strings")
    if non_empty and not value:
        raise Refusal(f"{name} must not be empty")
    return value


def _collect_refs(obj: dict[str, Any], refs: set[str]) -> None:
    """Every top-level *_ref / *_refs property must hold identifiers."""
    for key, value in obj.items():
        if not key.endswith(_REF_SUFFIXES):
            continue
        if key.endswith("_ref"):
            if not is_identifier(value):
                raise Refusal(f"{key} must be a STIX identifier (type--uuid), not {value!r}")
            refs.add(value)
        else:
            if not isinstance(value, list) or not value:
                raise Refusal(f"{key} must be a non-empty list of STIX identifiers")
            if len(value) > _MAX_REFS:
                raise Refusal(f"{key} has more than {_MAX_REFS} references")
            for ref in value:
                if not is_identifier(ref):
                    raise Refusal(f"{key} must hold STIX identifiers, not {ref!r}")
                refs.add(ref)


def _sharing(obj: dict[str, Any]) -> tuple[Distribution | None, str | None]:
    extensions = obj.get("extensions")
    if extensions is None:
        return None, None
    if not isinstance(extensions, dict):
        raise Refusal("extensions must be an object")
    ext = extensions.get(EXTENSION_ID)
    if ext is None:
        return None, None
    if not isinstance(ext, dict) or ext.get("extension_type") != "property-extension":
        raise Refusal("Accord's extension must be an object with extension_type property-extension")
    unknown = set(ext) - {"extension_type", "distribution", "sharing_group"}
    if unknown:
        raise Refusal(f"Accord's extension has unknown properties: {', '.join(sorted(unknown))}")
    try:
        distribution = Distribution(str(ext.get("distribution")))
    except ValueError:
        raise Refusal("distribution must be one of org, node, federation, open, group") from None
    group = ext.get("sharing_group")
    if distribution is Distribution.GROUP:
        if not isinstance(group, str) or not UUID_RE.match(group):
            raise Refusal("distribution group needs sharing_group, a UUID")
    elif group is not None:
        raise Refusal("sharing_group is only allowed with distribution group")
    return distribution, group


def _tlp(marking_refs: list[str]) -> Tlp:
    levels = {TLP_BY_MARKING_ID[m] for m in marking_refs if m in TLP_BY_MARKING_ID}
    if len(levels) > 1:
        raise Refusal("an object may carry only one TLP marking")
    return levels.pop() if levels else Tlp.NONE


def check_object(raw: object, now: datetime, tolerance: timedelta) -> CheckedObject:
    if not isinstance(raw, dict):
        raise Refusal("each object must be a JSON object")
    obj: dict[str, Any] = raw
    if _too_deep(obj):
        raise Refusal(f"the object is nested more than {MAX_DEPTH} levels deep")
    if _holds_nul(obj):
        raise Refusal("the object holds a NUL character (U+0000) in a key or a string")
    obj_type = obj.get("type")
    if not isinstance(obj_type, str) or not _TYPE_RE.match(obj_type):
        raise Refusal("type must be a lower-case STIX type name")
    stix_id = obj.get("id")
    if not isinstance(stix_id, str):
        raise Refusal("id is required")
    if not is_identifier(stix_id):
        raise Refusal(f"id {stix_id!r} is not of the form type--uuid")
    if not stix_id.startswith(obj_type + "--"):
        raise Refusal(f"id {stix_id!r} does not match type {obj_type!r}")

    is_sco = obj_type in SCO_REQUIRED
    if obj_type in SDO_REQUIRED:
        required: tuple[str | tuple[str, ...], ...] = SDO_REQUIRED[obj_type]
    elif obj_type in SMO_REQUIRED:
        required = SMO_REQUIRED[obj_type]
    elif is_sco:
        required = SCO_REQUIRED[obj_type]
    else:
        raise Refusal(f"unknown object type {obj_type!r}")

    if obj.get("spec_version", "2.1" if is_sco else None) != "2.1":
        raise Refusal("spec_version must be '2.1'")
    spec_version = "2.1"

    latest = timestamps.normalize(now + tolerance)
    created: str | None = None
    modified: str | None = None
    if not is_sco:
        _require(obj, ("created",))
        created = _timestamp(obj, "created", latest, millis=True)
        if obj_type == "marking-definition":
            modified = created
        else:
            _require(obj, ("modified",))
            modified = _timestamp(obj, "modified", latest, millis=True)
            if modified < created:
                raise Refusal("modified is earlier than created")
    _require(obj, required)

    labels = _string_list(obj, "labels")
    for label in labels:
        if len(label) > MAX_LABEL_LENGTH or "\x00" in label:
            raise Refusal(f"each label must be at most {MAX_LABEL_LENGTH} characters, without NUL")
    marking_refs = _string_list(obj, "object_marking_refs")
    for ref in marking_refs:
        if ref not in TLP_BY_MARKING_ID and not is_identifier(ref, "marking-definition"):
            raise Refusal(f"object_marking_refs must hold marking-definition ids, not {ref!r}")
    if "revoked" in obj and not isinstance(obj["revoked"], bool):
        raise Refusal("revoked must be true or false")
    confidence = obj.get("confidence")
    if confidence is not None and (
        not isinstance(confidence, int)
        or isinstance(confidence, bool)
        or not 0 <= confidence <= 100
    ):
        raise Refusal("confidence must be a whole number from 0 to 100")
    for name in ("name", "description", "content"):
        if name in obj and not isinstance(obj[name], str):
            raise Refusal(f"{name} must be a string")

    refs: set[str] = set()
    _collect_refs(obj, refs)
    granular = obj.get("granular_markings")
    if granular is not None:
        if not isinstance(granular, list):
            raise Refusal("granular_markings must be a list")
        for gm in granular:
            if not isinstance(gm, dict) or not isinstance(gm.get("selectors"), list):
                raise Refusal("each granular marking needs a list of selectors")
            marking_ref = gm.get("marking_ref")
            if marking_ref is not None:
                if not is_identifier(marking_ref, "marking-definition"):
                    raise Refusal("granular marking_ref must be a marking-definition id")
                refs.add(marking_ref)
    _check_type_specific(obj, obj_type)

    distribution, group = _sharing(obj)
    refs.difference_update(marking_refs)
    refs.discard(obj.get("created_by_ref", ""))
    return CheckedObject(
        obj=obj,
        id=stix_id,
        type=obj_type,
        spec_version=spec_version,
        created=created,
        modified=modified,
        tlp=_tlp(marking_refs),
        distribution=distribution,
        sharing_group=group,
        labels=labels,
        refs=refs,
        marking_refs=set(marking_refs),
    )


def _check_type_specific(obj: dict[str, Any], obj_type: str) -> None:
    if obj_type == "indicator":
        valid_from = _timestamp(obj, "valid_from", _NEVER)
        if "valid_until" in obj:
            until = _timestamp(obj, "valid_until", _NEVER)
            if until <= valid_from:
                raise Refusal("valid_until must be later than valid_from")
        pattern = obj["pattern"]
        if not isinstance(pattern, str) or not pattern.strip():
            raise Refusal("pattern must be a non-empty string")
        if obj["pattern_type"] == "stix":
            error = pattern_error(pattern)
            if error:
                raise Refusal(f"pattern is not valid STIX 2.1: {error}")
    elif obj_type == "report":
        _timestamp(obj, "published", _NEVER)
    elif obj_type == "malware":
        if not isinstance(obj["is_family"], bool):
            raise Refusal("is_family must be true or false")
        if obj["is_family"] and "name" not in obj:
            raise Refusal("a malware family needs a name")
    elif obj_type == "opinion":
        if not isinstance(obj["opinion"], str) or obj["opinion"] not in OPINION_VALUES:
            raise Refusal(f"opinion must be one of {', '.join(sorted(OPINION_VALUES))}")
    elif obj_type == "observed-data":
        if "objects" not in obj and "object_refs" not in obj:
            raise Refusal("observed-data needs object_refs")
        number = obj["number_observed"]
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise Refusal("number_observed must be a whole number of at least 1")
    elif obj_type == "location":
        if not any(k in obj for k in ("region", "country", "latitude")):
            raise Refusal("a location needs region, country, or latitude and longitude")
    elif obj_type == "sighting":
        if obj["sighting_of_ref"].split("--")[0] in SCO_REQUIRED:
            raise Refusal("sighting_of_ref must point to an SDO")
    elif obj_type == "marking-definition":
        if "extensions" not in obj and not ("definition_type" in obj and "definition" in obj):
            raise Refusal("a marking definition needs definition_type and definition")
    elif obj_type == "relationship" and (
        not isinstance(obj["relationship_type"], str) or not obj["relationship_type"]
    ):
        raise Refusal("relationship_type must be a non-empty string")
    elif obj_type.startswith("x-accord-"):
        # Accord's own types: their checks live with their definitions.
        check = validator_for(obj_type)
        error = check(obj) if check is not None else None
        if error is not None:
            raise Refusal(error)
