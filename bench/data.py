"""Deterministic STIX 2.1 objects for the bench, built as plain dicts (no stix2 library).

The mix is ~70% indicators (IPv4, domain and SHA-256 file patterns), ~10% reports that
reference indicators of the same chunk, and the rest attack patterns, notes and courses
of action. The same seed, size and chunk give byte-identical objects on every machine.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

# Fixed so that ids are the same on every run: uuid5(NAMESPACE, "<seed>:<index>").
NAMESPACE = uuid.UUID("6d1f4a52-1c1e-4f43-9a4e-3b0f1f6c2a10")
# Objects are created one second apart from here: well in the past, never "in the future".
EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

TLP_MARKINGS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
}
# (cumulative probability, kind): the object mix.
MIX = (
    (0.70, "indicator"),
    (0.80, "report"),
    (0.88, "attack-pattern"),
    (0.94, "note"),
    (1.00, "course-of-action"),
)

# Words for fictional prose: names, descriptions and note content.
_PROSE = (
    "relay staging exfiltration beacon loader dropper drone uplink convoy checkpoint "
    "telemetry spoofing jamming phishing credential harvesting tunnel proxy implant "
    "reconnaissance perimeter border crossing liaison exercise contingent logistics "
    "signal intercept payload operator infrastructure campaign observed reported "
    "coordinated regional partner staff analysts confirmed suspected activity traffic"
)
_WORDS = tuple(_PROSE.split())
_LABELS = ("uav", "c2", "phishing", "border", "logistics", "exercise", "ct", "infosec")
_PHASES = ("reconnaissance", "initial-access", "execution", "command-and-control", "exfiltration")
_TLDS = ("example", "test", "invalid")


def stix_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choices(_WORDS, k=words))
    return text[0].upper() + text[1:] + "."


def _markings(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.15:
        return [TLP_MARKINGS["clear"]]
    if roll < 0.65:
        return [TLP_MARKINGS["green"]]
    if roll < 0.90:
        return [TLP_MARKINGS["amber"]]
    return []  # no TLP marking: distribution alone decides


def _pattern(rng: random.Random, seed: int, index: int) -> tuple[str, str]:
    """A STIX pattern and a short name for it: IPv4 (50%), domain (30%) or file hash."""
    roll = rng.random()
    if roll < 0.5:
        octets = (
            rng.randint(11, 223),
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(1, 254),
        )
        ip = ".".join(map(str, octets))
        return f"[ipv4-addr:value = '{ip}']", f"Relay address {ip}"
    if roll < 0.8:
        domain = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}{index % 997}.{rng.choice(_TLDS)}"
        return f"[domain-name:value = '{domain}']", f"Control domain {domain}"
    digest = hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()
    return f"[file:hashes.'SHA-256' = '{digest}']", f"Loader sample {digest[:12]}"


def _common(kind: str, seed: int, index: int, rng: random.Random) -> dict[str, Any]:
    created = EPOCH + timedelta(seconds=index, milliseconds=rng.randint(0, 999))
    modified = created + timedelta(minutes=rng.choice((0, 0, 5, 90)))
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{uuid.uuid5(NAMESPACE, f'{seed}:{index}')}",
        "created": stix_time(created),
        "modified": stix_time(modified),
    }


def make_object(
    kind: str, seed: int, index: int, rng: random.Random, indicators: Sequence[str]
) -> dict[str, Any]:
    """One object of `kind`; containers reference ids drawn from `indicators`."""
    obj = _common(kind, seed, index, rng)
    if kind == "indicator":
        pattern, name = _pattern(rng, seed, index)
        obj |= {
            "name": name,
            "description": _sentence(rng, rng.randint(3, 6)),
            "indicator_types": [rng.choice(("malicious-activity", "anomalous-activity"))],
            "pattern": pattern,
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": obj["created"],
            "confidence": rng.randint(30, 95),
        }
    elif kind == "report":
        refs = rng.sample(list(indicators), min(len(indicators), rng.randint(2, 5)))
        obj |= {
            "name": _sentence(rng, 4)[:-1],
            "description": _sentence(rng, rng.randint(4, 7)),
            "report_types": ["threat-report"],
            "published": obj["modified"],
            "object_refs": refs,
        }
    elif kind == "note":
        refs = rng.sample(list(indicators), min(len(indicators), rng.randint(1, 3)))
        obj |= {
            "abstract": _sentence(rng, 5)[:-1],
            "content": _sentence(rng, rng.randint(12, 17)),
            "object_refs": refs,
        }
    elif kind == "attack-pattern":
        obj |= {
            "name": _sentence(rng, 3)[:-1],
            "description": _sentence(rng, rng.randint(15, 20)),
            "kill_chain_phases": [
                {"kill_chain_name": "mitre-attack", "phase_name": rng.choice(_PHASES)}
            ],
        }
    else:
        obj |= {
            "name": _sentence(rng, 4)[:-1],
            "description": _sentence(rng, rng.randint(21, 26)),
        }
    obj["labels"] = sorted(set(rng.sample(_LABELS, rng.randint(1, 3))))
    markings = _markings(rng)
    if markings:
        obj["object_marking_refs"] = markings
    return obj


def generate(size: int, *, seed: int = 1, chunk: int = 5000) -> list[dict[str, Any]]:
    """`size` objects; references never cross a `chunk` boundary, so each bundle stands alone."""
    rng = random.Random(seed)
    objects: list[dict[str, Any]] = []
    indicators: list[str] = []
    for index in range(size):
        if index % chunk == 0:
            indicators = []
        roll = rng.random()
        kind = next(k for limit, k in MIX if roll < limit)
        if kind in ("report", "note") and not indicators:
            kind = "indicator"  # a container needs something of its own chunk to reference
        obj = make_object(kind, seed, index, rng, indicators)
        if kind == "indicator":
            indicators.append(obj["id"])
        objects.append(obj)
    return objects


def chunks(objects: Sequence[dict[str, Any]], chunk: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(objects), chunk):
        yield objects[start : start + chunk]


def bundles(objects: Sequence[dict[str, Any]], chunk: int, *, seed: int = 1) -> list[bytes]:
    """The POST bodies, serialized ahead of time so the clock measures the server."""
    out: list[bytes] = []
    for number, part in enumerate(chunks(objects, chunk)):
        bundle_id = f"bundle--{uuid.uuid5(NAMESPACE, f'{seed}:bundle:{number}')}"
        out.append(orjson.dumps({"type": "bundle", "id": bundle_id, "objects": list(part)}))
    return out


def envelopes(objects: Sequence[dict[str, Any]], chunk: int) -> list[bytes]:
    """TAXII 2.1 POST bodies (envelopes: `{"objects": [...]}`), serialized ahead of time."""
    return [orjson.dumps({"objects": list(part)}) for part in chunks(objects, chunk)]
