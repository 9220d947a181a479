"""STIX 2.1 object types Accord accepts and the properties each requires."""

from __future__ import annotations

# STIX 2.1 sections 4-5 (SDOs, SROs): required beyond the common properties.
SDO_REQUIRED: dict[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "location": (),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "report": ("name", "published", "object_refs"),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    # Accord's own types, declared by extension definitions (new-sdo).
    "x-accord-agenda-item": ("name",),
    "x-accord-exercise": ("name",),
    "x-accord-cooperation-event": ("name",),
    "x-accord-message": ("content",),
    "x-accord-wg-session": ("name",),
    "x-accord-channel": ("name", "member_refs"),
    "x-accord-receipt": ("message_ref", "channel_ref"),
    "x-accord-contact": ("name", "function"),
    "x-accord-consultation": ("name", "channel_ref", "start_time"),
}

# STIX 2.1 section 7: meta objects.
SMO_REQUIRED: dict[str, tuple[str, ...]] = {
    "marking-definition": (),
    "extension-definition": ("name", "schema", "version", "extension_types", "created_by_ref"),
    "language-content": ("object_ref", "object_modified", "contents"),
}

# STIX 2.1 section 6: cyber-observable objects. A tuple of alternatives means "one of".
SCO_REQUIRED: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "artifact": (("payload_bin", "url"),),
    "autonomous-system": ("number",),
    "directory": ("path",),
    "domain-name": ("value",),
    "email-addr": ("value",),
    "email-message": ("is_multipart",),
    "file": (("hashes", "name"),),
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "mac-addr": ("value",),
    "mutex": ("name",),
    "network-traffic": ("protocols",),
    "process": (),
    "software": ("name",),
    "url": ("value",),
    "user-account": (),
    "windows-registry-key": (),
    "x509-certificate": (),
}

CONTAINER_TYPES = frozenset({"report", "grouping", "note", "opinion", "observed-data"})

OPINION_VALUES = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})
