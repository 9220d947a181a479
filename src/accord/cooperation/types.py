"""Accord's own STIX object types, each declared by an extension definition (new-sdo).

STIX 2.1 section 7.3: an object of a type defined by an extension names that
definition in its `extensions` with `"extension_type": "new-sdo"`. The definitions are
fixed here (ids, author, JSON Schema shipped under schemas/), so an object exported
from one node is self-describing on the next. Ingest checks every `x-accord-*` object
through `validator_for`: its schema first, then the rules a schema cannot state
(dates in order).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from accord.cooperation.schemacheck import schema_error
from accord.intel import timestamps
from accord.intel.extension import ACCORD_IDENTITY_ID

AGENDA_ITEM = "x-accord-agenda-item"
WG_SESSION = "x-accord-wg-session"
MESSAGE = "x-accord-message"
EXERCISE = "x-accord-exercise"
COOPERATION_EVENT = "x-accord-cooperation-event"
CHANNEL = "x-accord-channel"
RECEIPT = "x-accord-receipt"
CONTACT = "x-accord-contact"
CONSULTATION = "x-accord-consultation"

Check = Callable[[dict[str, Any]], str | None]


def _moment(value: str) -> datetime:
    # The schema check ran first: the value is a valid timestamp.
    return timestamps.parse(value)


def _order_error(obj: dict[str, Any], where: str = "") -> str | None:
    if "end_time" in obj and _moment(obj["end_time"]) < _moment(obj["start_time"]):
        return f"{where}end_time must not be earlier than {where}start_time"
    return None


def _until_error(obj: dict[str, Any]) -> str | None:
    if "until" in obj and _moment(obj["until"]) < _moment(obj["start_time"]):
        return "until must not be earlier than start_time"
    return None


def _exercise_order_error(obj: dict[str, Any]) -> str | None:
    error = _order_error(obj)
    if error:
        return error
    start = _moment(obj["start_time"])
    end = _moment(obj["end_time"]) if "end_time" in obj else None
    for index, phase in enumerate(obj.get("phases", ())):
        error = _order_error(phase, f"phases[{index}].")
        if error:
            return error
        if _moment(phase["start_time"]) < start:
            return f"phases[{index}] starts before the exercise starts"
        if end is not None and _moment(phase.get("end_time", phase["start_time"])) > end:
            return f"phases[{index}] ends after the exercise ends"
    return None


@dataclass(frozen=True)
class CustomType:
    name: str
    definition_id: str
    title: str
    schema_file: str
    rules: Check | None = None  # what JSON Schema cannot state

    @property
    def schema(self) -> dict[str, Any]:
        return _schema(self.schema_file)

    def error(self, obj: dict[str, Any]) -> str | None:
        """Why `obj` is not a valid object of this type, or None."""
        extensions = obj.get("extensions")
        declared = extensions.get(self.definition_id) if isinstance(extensions, dict) else None
        if not isinstance(declared, dict) or declared.get("extension_type") != "new-sdo":
            return (
                f"an object of type {self.name} must name its definition in extensions: "
                f'{{"{self.definition_id}": {{"extension_type": "new-sdo"}}}}'
            )
        error = schema_error(obj, self.schema)
        if error is None and self.rules is not None:
            error = self.rules(obj)
        return error

    def definition(self) -> dict[str, Any]:
        """The STIX extension-definition object that declares this type."""
        return {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": self.definition_id,
            "created_by_ref": ACCORD_IDENTITY_ID,
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": self.title,
            "description": self.schema["description"],
            "schema": json.dumps(self.schema, sort_keys=True),
            "version": "1.0.0",
            "extension_types": ["new-sdo"],
        }


@cache
def _schema(file_name: str) -> dict[str, Any]:
    text = resources.files("accord.cooperation").joinpath("schemas", file_name).read_text("utf-8")
    return dict(json.loads(text))


CUSTOM_TYPES: dict[str, CustomType] = {
    t.name: t
    for t in (
        CustomType(
            AGENDA_ITEM,
            "extension-definition--81ba287f-adbc-4af7-ba61-c5eafd1a619b",
            "Accord working-group agenda item",
            "agenda-item.schema.json",
        ),
        CustomType(
            WG_SESSION,
            "extension-definition--6e0d02d2-3c60-4b24-9110-bc543388dc5a",
            "Accord working-group session",
            "wg-session.schema.json",
            _order_error,
        ),
        CustomType(
            MESSAGE,
            "extension-definition--e7d5f5f2-3662-496d-9f33-e09bbe5f895c",
            "Accord liaison message",
            "message.schema.json",
        ),
        CustomType(
            EXERCISE,
            "extension-definition--93a6b753-b804-47a1-9d24-7f59ac4f777d",
            "Accord joint exercise",
            "exercise.schema.json",
            _exercise_order_error,
        ),
        CustomType(
            COOPERATION_EVENT,
            "extension-definition--aaafb839-7dae-46fe-9d26-ba2f8c74e506",
            "Accord cooperation event",
            "cooperation-event.schema.json",
            _order_error,
        ),
        CustomType(
            CHANNEL,
            "extension-definition--09a06444-c623-47f9-9642-4c3665c84956",
            "Accord liaison channel",
            "channel.schema.json",
        ),
        CustomType(
            RECEIPT,
            "extension-definition--454c0609-1c55-41a7-a111-8c48267ea8cf",
            "Accord liaison acknowledgement of receipt",
            "receipt.schema.json",
        ),
        CustomType(
            CONTACT,
            "extension-definition--26e0a9be-77a1-4df6-802d-1939db68264c",
            "Accord liaison point of contact",
            "contact.schema.json",
        ),
        CustomType(
            CONSULTATION,
            "extension-definition--299ad3b3-6cba-405e-addb-2bc2f0c9be9f",
            "Accord liaison regular consultation",
            "consultation.schema.json",
            _until_error,
        ),
    )
}

DEFINITION_IDS = frozenset(t.definition_id for t in CUSTOM_TYPES.values())


def validator_for(stix_type: str) -> Check | None:
    """The check for one of Accord's types (None for any other type)."""
    custom = CUSTOM_TYPES.get(stix_type)
    return custom.error if custom is not None else None


def new_sdo_extension(stix_type: str) -> dict[str, Any]:
    """The `extensions` entry an object of one of Accord's types carries."""
    return {CUSTOM_TYPES[stix_type].definition_id: {"extension_type": "new-sdo"}}


def definitions_for(stix_types: Iterable[str]) -> list[dict[str, Any]]:
    """The extension definitions an export holding these types must carry."""
    return [CUSTOM_TYPES[t].definition() for t in sorted(set(stix_types)) if t in CUSTOM_TYPES]
