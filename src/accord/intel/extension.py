"""Accord's STIX 2.1 property extension carrying sharing metadata (DESIGN.md section 4)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

EXTENSION_ID = "extension-definition--f170894b-79ff-485c-9c26-1186b443fc36"
# The identity that authors Accord's extension definitions (fixed, like the id above).
ACCORD_IDENTITY_ID = "identity--5a0e2bd5-62a1-4c83-9ab2-4d7b2a8f3e11"
_SCHEMA_FILE = "sharing-extension.schema.json"


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the extension's properties, shipped with the package."""
    text = resources.files("accord.intel").joinpath("schemas", _SCHEMA_FILE).read_text("utf-8")
    return dict(json.loads(text))


def extension_definition() -> dict[str, Any]:
    """The STIX extension-definition object that exports carry."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": ACCORD_IDENTITY_ID,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Accord sharing metadata",
        "description": (
            "Who may see an object: its distribution (org, node, federation, open, group) "
            "and, for group, the sharing group's UUID."
        ),
        "schema": json.dumps(schema(), sort_keys=True),
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def accord_identity() -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": ACCORD_IDENTITY_ID,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Accord",
        "identity_class": "system",
    }


def sharing_extension(distribution: str, sharing_group: str | None) -> dict[str, Any]:
    ext: dict[str, Any] = {"extension_type": "property-extension", "distribution": distribution}
    if sharing_group is not None:
        ext["sharing_group"] = sharing_group
    return ext
