"""One valid STIX 2.1 object of each type Accord accepts, linked into one bundle."""

from __future__ import annotations

import uuid
from typing import Any

T = "2026-10-01T08:00:00.000Z"


def _id(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def _sdo(stix_type: str, **props: Any) -> dict[str, Any]:
    return {
        "type": stix_type,
        "spec_version": "2.1",
        "id": _id(stix_type),
        "created": T,
        "modified": T,
        **props,
    }


def _sco(stix_type: str, **props: Any) -> dict[str, Any]:
    return {"type": stix_type, "spec_version": "2.1", "id": _id(stix_type), **props}


def every_type() -> list[dict[str, Any]]:
    """Objects of every SDO, SRO, SCO and meta type, references resolved in the bundle."""
    ip = _sco("ipv4-addr", value="198.51.100.23")
    domain = _sco("domain-name", value="relay.example")
    scos = [
        ip,
        domain,
        _sco("ipv6-addr", value="2001:db8::7"),
        _sco("url", value="https://relay.example/c2"),
        _sco("email-addr", value="ops@relay.example"),
        _sco("mac-addr", value="00:00:5e:00:53:01"),
        _sco("file", name="telemetry.bin", hashes={"SHA-256": "a" * 64}),
        _sco("autonomous-system", number=64500, name="Documentation AS"),
        _sco("directory", path="/var/spool/relay"),
        _sco("mutex", name="Global\\relay-lock"),
        _sco("software", name="Ground station suite", vendor="Example"),
        _sco("user-account", user_id="operator7", account_login="operator7"),
        _sco("windows-registry-key", key="HKEY_LOCAL_MACHINE\\SOFTWARE\\Relay"),
        _sco("x509-certificate", serial_number="01:02:03"),
        _sco("network-traffic", protocols=["tcp"], dst_ref=ip["id"], dst_port=443),
        _sco("process", pid=4242, command_line="relay --listen"),
        _sco("artifact", mime_type="text/plain", payload_bin="aGVsbG8="),
        _sco("email-message", is_multipart=False, subject="Exercise schedule"),
    ]
    actor = _sdo("threat-actor", name="Grey Heron cell", threat_actor_types=["terrorist"])
    pattern = _sdo(
        "attack-pattern",
        name="Swarm of small drones over a depot",
        description="Coordinated approach of several small drones at low altitude.",
    )
    indicator = _sdo(
        "indicator",
        name="Drone relay address",
        pattern_type="stix",
        pattern="[ipv4-addr:value = '198.51.100.23']",
        valid_from=T,
        indicator_types=["malicious-activity"],
    )
    malware = _sdo("malware", name="Kestrel loader", is_family=True, malware_types=["dropper"])
    location = _sdo("location", name="Exercise area North", region="europe", country="ZZ")
    identity = _sdo("identity", name="Liaison desk", identity_class="organization")
    incident = _sdo(
        "incident",
        name="Drone sighting over depot 4",
        description="Three small drones observed; no payload dropped.",
    )
    sdos = [
        actor,
        pattern,
        indicator,
        malware,
        location,
        identity,
        incident,
        _sdo("campaign", name="Autumn probing"),
        _sdo(
            "course-of-action",
            name="Jam the 2.4 GHz control link",
            description="Lesson learned in the joint exercise.",
        ),
        _sdo("infrastructure", name="Relay network", infrastructure_types=["command-and-control"]),
        _sdo("intrusion-set", name="Heron set"),
        _sdo("tool", name="Spectrum analyser", tool_types=["information-gathering"]),
        _sdo("vulnerability", name="CVE-2026-0001"),
        _sdo(
            "malware-analysis",
            product="example-sandbox",
            result="malicious",
            sample_refs=[scos[6]["id"]],
        ),
        _sdo(
            "observed-data",
            first_observed=T,
            last_observed=T,
            number_observed=3,
            object_refs=[ip["id"], domain["id"]],
        ),
        _sdo("grouping", context="suspicious-activity", object_refs=[indicator["id"]]),
        _sdo("note", content="Seen again near the port.", object_refs=[incident["id"]]),
        _sdo("opinion", opinion="agree", object_refs=[indicator["id"]]),
        _sdo(
            "relationship",
            relationship_type="indicates",
            source_ref=indicator["id"],
            target_ref=actor["id"],
        ),
        _sdo(
            "sighting",
            sighting_of_ref=indicator["id"],
            count=2,
            where_sighted_refs=[identity["id"]],
        ),
        _sdo(
            "report",
            name="Quarterly drone activity",
            published=T,
            report_types=["threat-report"],
            object_refs=[indicator["id"], incident["id"], pattern["id"]],
        ),
    ]
    marking = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _id("marking-definition"),
        "created": T,
        "name": "Exercise only",
        "definition_type": "statement",
        "definition": {"statement": "For exercise use only"},
    }
    sdos[0]["object_marking_refs"] = [marking["id"]]
    language = {
        "type": "language-content",
        "spec_version": "2.1",
        "id": _id("language-content"),
        "created": T,
        "modified": T,
        "object_ref": pattern["id"],
        "object_modified": T,
        "contents": {"ru": {"name": "Рой малых беспилотников над складом"}},
    }
    return [marking, *scos, *sdos, language]
