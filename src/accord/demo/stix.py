"""Deterministic STIX 2.1 building blocks: ids, timestamps, markings, common shapes."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from accord.intel import timestamps
from accord.sharing.tlp import Tlp

# STIX 2.1 section 2.9: the namespace of deterministic cyber-observable ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

StixDict = dict[str, Any]


class Ids:
    """SDO and SRO ids derived from the seed and a stable key, so rebuilds agree.

    STIX 2.1 asks for UUIDv4 on domain objects: the derived bytes get version 4 bits.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def of(self, stix_type: str, key: str) -> str:
        digest = hashlib.sha256(f"accord-demo:{self.seed}:{stix_type}:{key}".encode()).digest()
        return f"{stix_type}--{uuid.UUID(bytes=digest[:16], version=4)}"


def sco_id(stix_type: str, contributing: dict[str, Any]) -> str:
    """STIX 2.1 deterministic id: UUIDv5 over the canonical JSON of contributing properties."""
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{stix_type}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def stamp(moment: datetime) -> str:
    return timestamps.format_stix(moment)


def marked(obj: StixDict, tlp: Tlp) -> StixDict:
    if tlp is not Tlp.NONE:
        obj["object_marking_refs"] = [tlp.marking_id]
    return obj


def sdo(stix_type: str, stix_id: str, when: datetime, tlp: Tlp, **props: Any) -> StixDict:
    """A domain or relationship object, first version (created == modified)."""
    obj: StixDict = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": stix_id,
        "created": stamp(when),
        "modified": stamp(when),
    }
    obj.update({k: v for k, v in props.items() if v is not None})
    return marked(obj, tlp)


def relationship(
    ids: Ids, key: str, when: datetime, tlp: Tlp, source: str, kind: str, target: str
) -> StixDict:
    return sdo(
        "relationship",
        ids.of("relationship", key),
        when,
        tlp,
        relationship_type=kind,
        source_ref=source,
        target_ref=target,
    )


def ipv4(value: str, tlp: Tlp) -> StixDict:
    return _sco("ipv4-addr", {"value": value}, tlp)


def domain(value: str, tlp: Tlp) -> StixDict:
    return _sco("domain-name", {"value": value}, tlp)


def url(value: str, tlp: Tlp) -> StixDict:
    return _sco("url", {"value": value}, tlp)


def file(name: str, sha256: str, tlp: Tlp) -> StixDict:
    return _sco("file", {"hashes": {"SHA-256": sha256}, "name": name}, tlp)


def _sco(stix_type: str, props: dict[str, Any], tlp: Tlp) -> StixDict:
    obj: StixDict = {"type": stix_type, "spec_version": "2.1", "id": sco_id(stix_type, props)}
    obj.update(props)
    return marked(obj, tlp)


def pattern_of(sco: StixDict) -> str:
    """The STIX pattern that matches one observable."""
    if sco["type"] == "file":
        return f"[file:hashes.'SHA-256' = '{sco['hashes']['SHA-256']}']"
    return f"[{sco['type']}:value = '{sco['value']}']"


def indicator(
    ids: Ids,
    key: str,
    when: datetime,
    tlp: Tlp,
    sco: StixDict,
    name: str,
    kind: str,
    confidence: int,
) -> StixDict:
    return sdo(
        "indicator",
        ids.of("indicator", key),
        when,
        tlp,
        name=name,
        description=f"Observed {sco['type']} linked to this activity; block and report hits.",
        indicator_types=[kind],
        pattern=pattern_of(sco),
        pattern_type="stix",
        valid_from=stamp(when),
        valid_until=stamp(when + timedelta(days=180)),
        confidence=confidence,
    )


def revised(obj: StixDict, when: datetime, **changes: Any) -> StixDict:
    """A new version of `obj`: same id and created, a later modified, some changes."""
    new = dict(obj)
    new.update(changes)
    new["modified"] = stamp(when)
    return new
