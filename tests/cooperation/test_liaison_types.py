"""Liaison's STIX types: valid objects pass ingest's checks, their JSON Schema and the
OASIS validator; what the schema cannot state (dates in order) is refused at ingest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from stix2validator import ValidationOptions, validate_instance

from accord.cooperation.types import (
    CHANNEL,
    CONSULTATION,
    CONTACT,
    CUSTOM_TYPES,
    MESSAGE,
    RECEIPT,
    new_sdo_extension,
)
from accord.intel.validation import Refusal, check_object
from tests.cooperation.samples import sid

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _object(stix_type: str, properties: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": stix_type,
        "spec_version": "2.1",
        "id": sid(stix_type),
        "created": "2026-02-01T09:00:00.000Z",
        "modified": "2026-02-01T09:00:00.000Z",
        "extensions": new_sdo_extension(stix_type),
        **properties,
        **changes,
    }


def channel(**changes: Any) -> dict[str, Any]:
    defaults = {"name": "Staff talks", "member_refs": [sid("identity"), sid("identity")]}
    return _object(CHANNEL, defaults, changes)


def receipt(**changes: Any) -> dict[str, Any]:
    return _object(RECEIPT, {"message_ref": sid(MESSAGE), "channel_ref": sid(CHANNEL)}, changes)


def contact(**changes: Any) -> dict[str, Any]:
    defaults = {
        "name": "Col. Irina Vask",
        "function": "Liaison officer",
        "phone": "+99 21 555 0142",
        "email": "liaison@aldoria.example",
    }
    return _object(CONTACT, defaults, changes)


def consultation(**changes: Any) -> dict[str, Any]:
    defaults = {
        "name": "Weekly staff call",
        "channel_ref": sid(CHANNEL),
        "start_time": "2026-03-02T09:00:00.000Z",
        "until": "2026-06-29T09:00:00.000Z",
        "duration_minutes": 60,
        "frequency": "weekly",
        "interval": 2,
        "participant_refs": [sid("identity")],
    }
    return _object(CONSULTATION, defaults, changes)


SAMPLES: dict[str, Callable[..., dict[str, Any]]] = {
    CHANNEL: channel,
    RECEIPT: receipt,
    CONTACT: contact,
    CONSULTATION: consultation,
}


@pytest.mark.parametrize("stix_type", sorted(SAMPLES))
def test_valid_liaison_objects_pass_every_check(stix_type: str) -> None:
    obj = SAMPLES[stix_type]()
    assert check_object(obj, NOW, timedelta(minutes=5)).type == stix_type
    assert Draft202012Validator(CUSTOM_TYPES[stix_type].schema).is_valid(obj)
    assert validate_instance(obj, ValidationOptions(version="2.1")).errors == []


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        (channel(member_refs=[sid("identity")]), "member_refs must hold at least 2 item(s)"),
        (receipt(message_ref=sid("note")), "message_ref must be an x-accord-message id"),
        (contact(email="nobody"), "email must be an e-mail address"),
        (contact(function=""), "function must not be empty"),
        (consultation(frequency="daily"), "frequency must be one of weekly, monthly"),
        (consultation(interval=0), "interval must be at least 1"),
        (consultation(until="2026-03-01T09:00:00.000Z"), "until must not be earlier than"),
    ],
)
def test_bad_liaison_objects_are_refused(obj: dict[str, Any], words: str) -> None:
    with pytest.raises(Refusal) as caught:
        check_object(obj, NOW, timedelta(minutes=5))
    assert words in str(caught.value)
