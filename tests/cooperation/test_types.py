"""Accord's own STIX types: definitions, validation at ingest, stix2-validator, exports."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from stix2validator import ValidationOptions, validate_instance

from accord.cooperation.types import (
    AGENDA_ITEM,
    COOPERATION_EVENT,
    CUSTOM_TYPES,
    DEFINITION_IDS,
    EXERCISE,
    MESSAGE,
    WG_SESSION,
    definitions_for,
)
from accord.intel.export import write_bundle
from accord.intel.extension import ACCORD_IDENTITY_ID
from accord.intel.ingest import Status
from accord.intel.service import ObjectFilter
from accord.intel.validation import Refusal, check_object
from accord.sharing.distribution import Distribution
from tests.cooperation import samples
from tests.factories import World

OPTIONS = ValidationOptions(version="2.1")
NOW = datetime(2026, 3, 1, tzinfo=UTC)
DROP = object()  # a change that removes the property


def _stix_errors(obj: dict[str, Any]) -> list[str]:
    return [str(e) for e in validate_instance(obj, OPTIONS).errors]


def _schema_valid(obj: dict[str, Any]) -> bool:
    return Draft202012Validator(CUSTOM_TYPES[obj["type"]].schema).is_valid(obj)


def _refusal(obj: dict[str, Any]) -> str:
    with pytest.raises(Refusal) as caught:
        check_object(obj, NOW, timedelta(minutes=5))
    return str(caught.value)


def _changed(factory: Callable[..., dict[str, Any]], changes: dict[str, Any]) -> dict[str, Any]:
    obj = factory()
    for key, value in changes.items():
        if value is DROP:
            del obj[key]
        else:
            obj[key] = value
    return obj


@pytest.mark.parametrize("stix_type", sorted(samples.VALID))
def test_valid_objects_pass_ingest_checks_the_schema_and_stix2_validator(stix_type: str) -> None:
    obj = samples.VALID[stix_type]()
    checked = check_object(obj, NOW, timedelta(minutes=5))
    assert checked.type == stix_type
    assert _schema_valid(obj)
    assert _stix_errors(obj) == []


BAD: list[tuple[Callable[..., dict[str, Any]], dict[str, Any], str, bool]] = [
    # (sample, changes, words of the refusal, whether JSON Schema alone refuses it too)
    (samples.agenda_item, {"status": "pending"}, "status must be one of proposed", True),
    (samples.agenda_item, {"status": DROP}, "property status is required", True),
    (samples.agenda_item, {"proposed_by_ref": DROP}, "property proposed_by_ref is required", True),
    (
        samples.agenda_item,
        {"proposed_by_ref": samples.sid("report")},
        "proposed_by_ref must be an identity id",
        True,
    ),
    (samples.agenda_item, {"name": ""}, "name must not be empty", True),
    (samples.agenda_item, {"description": 7}, "description must be a string", True),
    (samples.agenda_item, {"status": "scheduled"}, "session_ref is required", True),
    (
        samples.agenda_item,
        {"status": "decided", "session_ref": samples.sid(WG_SESSION)},
        "a decided issue needs its decision",
        True,
    ),
    (samples.agenda_item, {"decision": "Adopted."}, "decision is only given once", True),
    (
        samples.agenda_item,
        {"session_ref": samples.sid(EXERCISE)},
        "session_ref must be an x-accord-wg-session id",
        True,
    ),
    (samples.agenda_item, {"extensions": {}}, "must name its definition in extensions", False),
    (
        samples.agenda_item,
        {"extensions": {CUSTOM_TYPES[AGENDA_ITEM].definition_id: {"extension_type": "toplevel"}}},
        "must name its definition",
        False,
    ),
    (
        samples.wg_session,
        {"end_time": "2026-04-13T08:00:00.000Z"},
        "end_time must not be earlier than start_time",
        False,
    ),
    (samples.wg_session, {"start_time": "2026-02-30T08:00:00Z"}, "not a valid date", False),
    (samples.wg_session, {"start_time": "next tuesday"}, "start_time must be an RFC 3339", True),
    (samples.wg_session, {"participant_refs": []}, "must be a non-empty list", True),
    (
        samples.wg_session,
        {"decisions": [{"statement": "Adopt.", "agenda_item_refs": [samples.sid("note")]}]},
        "decisions[0].agenda_item_refs[0] must be an x-accord-agenda-item id",
        True,
    ),
    (
        samples.wg_session,
        {"decisions": [{"statement": "Adopt."}]},
        "property decisions[0].agenda_item_refs is required",
        True,
    ),
    (samples.message, {"recipient_refs": DROP}, "property recipient_refs is required", True),
    (
        samples.message,
        {"in_reply_to_ref": samples.sid("note")},
        "in_reply_to_ref must be an x-accord-message id",
        True,
    ),
    (samples.exercise, {"objectives": ["sightseeing"]}, "objectives[0] must be one of", True),
    (
        samples.exercise,
        {"contingents": [{"organization_ref": samples.sid("identity"), "personnel": 0}]},
        "contingents[0].personnel must be at least 1",
        True,
    ),
    (
        samples.exercise,
        {
            "phases": [
                {
                    "name": "Late",
                    "start_time": "2026-06-09T00:00:00Z",
                    "end_time": "2026-06-12T00:00:00Z",
                }
            ]
        },
        "phases[0] ends after the exercise ends",
        False,
    ),
    (
        samples.exercise,
        {"phases": [{"name": "Early", "start_time": "2026-05-30T00:00:00Z"}]},
        "phases[0] starts before the exercise starts",
        False,
    ),
    (
        samples.exercise,
        {
            "phases": [
                {
                    "name": "Backwards",
                    "start_time": "2026-06-05T00:00:00Z",
                    "end_time": "2026-06-04T00:00:00Z",
                }
            ]
        },
        "phases[0].end_time must not be earlier than phases[0].start_time",
        False,
    ),
    (samples.cooperation_event, {"event_type": "party"}, "event_type must be one of", True),
    (samples.cooperation_event, {"longitude": DROP}, "latitude needs longitude too", True),
    (samples.cooperation_event, {"latitude": 91}, "latitude must be at most 90", True),
    (samples.cooperation_event, {"country": "Varnelia"}, "two-letter ISO 3166", True),
    (samples.cooperation_event, {"latitude": True}, "latitude must be a number", True),
]


@pytest.mark.parametrize(("factory", "changes", "reason", "by_schema"), BAD)
def test_invalid_objects_are_refused_with_a_reason(
    factory: Callable[..., dict[str, Any]], changes: dict[str, Any], reason: str, by_schema: bool
) -> None:
    obj = _changed(factory, changes)
    assert reason in _refusal(obj)
    # The shipped schema says the same thing as the check, where JSON Schema can say it.
    assert _schema_valid(obj) is not by_schema


def test_an_unregistered_accord_type_is_unknown() -> None:
    obj = samples.agenda_item()
    obj["type"] = "x-accord-rumour"
    obj["id"] = samples.sid("x-accord-rumour")
    assert _refusal(obj) == "unknown object type 'x-accord-rumour'"


def test_definitions_are_fixed_valid_stix_and_carry_their_schema() -> None:
    definitions = definitions_for(CUSTOM_TYPES)
    assert {d["id"] for d in definitions} == DEFINITION_IDS
    assert len(DEFINITION_IDS) == len(CUSTOM_TYPES) == 9
    for definition in definitions:
        assert _stix_errors(definition) == []
        assert definition["extension_types"] == ["new-sdo"]
        assert definition["created_by_ref"] == ACCORD_IDENTITY_ID
        schema = json.loads(definition["schema"])
        Draft202012Validator.check_schema(schema)
        assert schema["properties"]["type"]["const"] in CUSTOM_TYPES
    assert definitions_for(["indicator", MESSAGE, MESSAGE]) == [CUSTOM_TYPES[MESSAGE].definition()]


def test_an_export_carries_the_definitions_of_its_types(world: World) -> None:
    alice = world.account(world.org())
    event = samples.cooperation_event()
    event["participant_refs"] = [f"identity--{alice.user.org_id}"]
    assert world.ingest(alice, event, distribution=Distribution.NODE).ok
    out = io.BytesIO()
    with world.db.read() as session:
        assert write_bundle(session, alice.principal, ObjectFilter(), out) == 1
    objects = orjson.loads(out.getvalue())["objects"]
    by_id = {o["id"]: o for o in objects}
    stored = by_id[event["id"]]
    assert _stix_errors(stored) == []
    definition_id = CUSTOM_TYPES[COOPERATION_EVENT].definition_id
    assert by_id[definition_id] == CUSTOM_TYPES[COOPERATION_EVENT].definition()
    assert DEFINITION_IDS & set(by_id) == {definition_id}

    # The next node imports Accord's definitions as known already, without storing them.
    bob = world.account(world.org())
    builtin = [o for o in objects if o["id"] in DEFINITION_IDS | {ACCORD_IDENTITY_ID}]
    result = world.ingest(bob, *builtin)
    assert [r.status for r in result.results] == [Status.EXISTS, Status.EXISTS]
