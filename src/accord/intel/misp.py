"""Map a MISP event (as MISP and PyMISP write it) to STIX 2.1 objects for ingest.

The event becomes a report; attributes marked for IDS become indicators with STIX
patterns, others observables (SCOs with deterministic ids); attributes with no STIX
equivalent become notes on the report. MISP distribution 0-5 maps to Accord's (5 is
"as the containing event / object"), TLP tags to TLP markings, sharing groups by UUID.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from accord.errors import Invalid
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.timestamps import format_stix
from accord.sharing.distribution import MISP_DISTRIBUTION, Distribution
from accord.sharing.tlp import Tlp

# STIX 2.1 section 2.9: the namespace of deterministic SCO identifiers.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
_HASHES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}


def is_misp_event(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    event = payload.get("Event", payload)
    return isinstance(event, dict) and "info" in event and "type" not in event


def misp_events(payload: Any) -> list[dict[str, Any]]:
    """The MISP events in a file: one event, a list of them, or MISP's {"response": [...]}."""
    if isinstance(payload, dict) and isinstance(payload.get("response"), list):
        payload = payload["response"]
    if isinstance(payload, list):
        events = [e for e in payload if is_misp_event(e)]
        return events if events and len(events) == len(payload) else []
    return [payload] if is_misp_event(payload) else []


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ip_type(value: str) -> str:
    return "ipv6-addr" if ":" in value else "ipv4-addr"


def _pattern(misp_type: str, value: str) -> str | None:
    """A STIX pattern for an attribute, or None when MISP's type has no STIX equivalent."""
    if misp_type in ("ip-src", "ip-dst"):
        return f"[{_ip_type(value)}:value = {_quote(value)}]"
    if misp_type in ("domain", "hostname"):
        return f"[domain-name:value = {_quote(value)}]"
    if misp_type in ("url", "link", "uri"):
        return f"[url:value = {_quote(value)}]"
    if misp_type in ("email", "email-src", "email-dst"):
        return f"[email-addr:value = {_quote(value)}]"
    if misp_type in _HASHES:
        return f"[file:hashes.{_quote(_HASHES[misp_type])} = {_quote(value)}]"
    if misp_type == "filename":
        return f"[file:name = {_quote(value)}]"
    if misp_type == "mac-address":
        return f"[mac-addr:value = {_quote(value)}]"
    if misp_type.startswith("filename|") and misp_type[9:] in _HASHES and "|" in value:
        name, digest = value.split("|", 1)
        algo = _quote(_HASHES[misp_type[9:]])
        return f"[file:name = {_quote(name)} AND file:hashes.{algo} = {_quote(digest)}]"
    if misp_type in ("ip-src|port", "ip-dst|port") and "|" in value:
        return _pattern(misp_type.split("|", maxsplit=1)[0], value.split("|", 1)[0])
    if misp_type == "domain|ip" and "|" in value:
        return _pattern("domain", value.split("|", 1)[0])
    if misp_type == "AS" and value.removeprefix("AS").isdigit():
        return f"[autonomous-system:number = {int(value.removeprefix('AS'))}]"
    return None


def _sco(misp_type: str, value: str) -> dict[str, Any] | None:
    """An observable with its STIX 2.1 deterministic id, or None."""
    props: dict[str, Any]
    if misp_type in ("ip-src", "ip-dst"):
        sco_type, props = _ip_type(value), {"value": value}
    elif misp_type in ("domain", "hostname"):
        sco_type, props = "domain-name", {"value": value}
    elif misp_type in ("url", "link", "uri"):
        sco_type, props = "url", {"value": value}
    elif misp_type in ("email", "email-src", "email-dst"):
        sco_type, props = "email-addr", {"value": value}
    elif misp_type in _HASHES:
        sco_type, props = "file", {"hashes": {_HASHES[misp_type]: value}}
    elif misp_type == "filename":
        sco_type, props = "file", {"name": value}
    elif misp_type == "mac-address":
        sco_type, props = "mac-addr", {"value": value}
    else:
        return None
    digest = uuid.uuid5(SCO_NAMESPACE, orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode())
    return {"type": sco_type, "spec_version": "2.1", "id": f"{sco_type}--{digest}", **props}


def _tlp(tags: Any) -> Tlp | None:
    for tag in tags or []:
        name = str(tag.get("name", "")) if isinstance(tag, dict) else ""
        if name.lower().startswith("tlp:"):
            try:
                return Tlp.parse(name)
            except ValueError:
                raise Invalid(f"unknown TLP tag {name!r}") from None
    return None


def _labels(tags: Any) -> list[str]:
    names = [str(t.get("name", "")) for t in tags or [] if isinstance(t, dict)]
    return [n for n in names if n and not n.lower().startswith("tlp:")]


def _moment(raw: Any, fallback: datetime) -> datetime:
    if raw in (None, "", "0", 0):
        return fallback
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        raise Invalid(f"{raw!r} is not a MISP timestamp (seconds since 1970)") from None


class _Scope:
    """Distribution and TLP as MISP inherits them: attribute -> object -> event."""

    def __init__(self, distribution: Distribution, group: str | None, tlp: Tlp | None) -> None:
        self.distribution = distribution
        self.group = group
        self.tlp = tlp

    def child(self, item: dict[str, Any], group_override: str | None) -> _Scope:
        raw = item.get("distribution")
        tlp = _tlp(item.get("Tag")) or self.tlp
        if raw in (None, "", "5", 5):
            return _Scope(self.distribution, self.group, tlp)
        return _Scope(*_distribution(item, raw, group_override), tlp)


def _distribution(
    item: dict[str, Any], raw: Any, group_override: str | None
) -> tuple[Distribution, str | None]:
    try:
        level = MISP_DISTRIBUTION[int(raw)]
    except (ValueError, TypeError, KeyError):
        raise Invalid(f"MISP distribution must be 0 to 5, not {raw!r}") from None
    if level is not Distribution.GROUP:
        return level, None
    group = item.get("SharingGroup")
    group_uuid = group.get("uuid") if isinstance(group, dict) else None
    if not group_uuid and not group_override:
        raise Invalid(
            "a MISP sharing group is referenced without its UUID: export the event with "
            "its SharingGroup, or name the group with --sharing-group"
        )
    return level, str(group_uuid or group_override)


def _each(items: Any) -> list[dict[str, Any]]:
    return [x for x in (items or []) if isinstance(x, dict)]


def event_to_stix(
    payload: dict[str, Any], *, sharing_group: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The STIX 2.1 objects for one MISP event: the report last."""
    event = payload.get("Event", payload)
    now = now or datetime.now(UTC)
    event_uuid = event.get("uuid") or str(uuid.uuid4())
    event_time = _moment(event.get("timestamp"), now)
    scope = _Scope(
        *_distribution(event, event.get("distribution", 0), sharing_group),
        _tlp(event.get("Tag")),
    )
    report_id = f"report--{event_uuid}"
    objects: list[dict[str, Any]] = []
    refs: list[str] = []

    def decorate(obj: dict[str, Any], s: _Scope) -> dict[str, Any]:
        if s.tlp is not None and s.tlp is not Tlp.NONE:
            obj["object_marking_refs"] = [s.tlp.marking_id]
        obj["extensions"] = {EXTENSION_ID: sharing_extension(s.distribution.value, s.group)}
        return obj

    def attribute(attr: dict[str, Any], parent: _Scope) -> None:
        s = parent.child(attr, sharing_group)
        misp_type, value = str(attr.get("type", "")), str(attr.get("value", ""))
        when = format_stix(_moment(attr.get("timestamp"), event_time))
        labels = _labels(attr.get("Tag"))
        pattern = _pattern(misp_type, value)
        if attr.get("to_ids") and pattern is not None:
            obj: dict[str, Any] = {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{attr.get('uuid') or uuid.uuid4()}",
                "created": when,
                "modified": when,
                "name": f"{misp_type}: {value}",
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": when,
            }
            if attr.get("comment"):
                obj["description"] = str(attr["comment"])
        else:
            sco = _sco(misp_type, value)
            if sco is not None:
                if any(o["id"] == sco["id"] for o in objects):
                    return
                objects.append(decorate(sco, s))
                refs.append(sco["id"])
                return
            obj = {
                "type": "note",
                "spec_version": "2.1",
                "id": f"note--{attr.get('uuid') or uuid.uuid4()}",
                "created": when,
                "modified": when,
                "abstract": f"MISP {misp_type}",
                "content": value + (f"\n\n{attr['comment']}" if attr.get("comment") else ""),
                "object_refs": [report_id],
            }
        if labels:
            obj["labels"] = labels
        objects.append(decorate(obj, s))
        if obj["type"] != "note":
            refs.append(obj["id"])

    for attr in _each(event.get("Attribute")):
        attribute(attr, scope)
    for misp_object in _each(event.get("Object")):
        object_scope = scope.child(misp_object, sharing_group)
        for attr in _each(misp_object.get("Attribute")):
            attribute(attr, object_scope)
    if not refs:
        raise Invalid("the MISP event has no attribute that maps to STIX 2.1")
    when = format_stix(event_time)
    published = event.get("date")
    report: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": report_id,
        "created": when,
        "modified": when,
        "name": str(event.get("info") or "MISP event"),
        "published": f"{published}T00:00:00.000Z" if published else when,
        "report_types": ["threat-report"],
        "object_refs": refs,
        "external_references": [{"source_name": "misp", "external_id": event_uuid}],
    }
    labels = _labels(event.get("Tag"))
    if labels:
        report["labels"] = labels
    objects.append(decorate(report, scope))
    return objects
