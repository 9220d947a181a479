"""Valid objects of each of Accord's own types, to alter into invalid ones."""

from __future__ import annotations

import uuid
from typing import Any

from accord.cooperation.types import (
    AGENDA_ITEM,
    COOPERATION_EVENT,
    EXERCISE,
    MESSAGE,
    WG_SESSION,
    new_sdo_extension,
)


def sid(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def _base(stix_type: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": stix_type,
        "spec_version": "2.1",
        "id": sid(stix_type),
        "created": "2026-02-01T09:00:00.000Z",
        "modified": "2026-02-01T09:00:00.000Z",
        "extensions": new_sdo_extension(stix_type),
        **properties,
    }


def agenda_item(**changes: Any) -> dict[str, Any]:
    return _base(
        AGENDA_ITEM,
        name="Harmonize reporting of drone incursions",
        description="Agree one reporting template for unmanned aerial vehicle sightings.",
        status="proposed",
        proposed_by_ref=sid("identity"),
        **changes,
    )


def wg_session(**changes: Any) -> dict[str, Any]:
    return _base(
        WG_SESSION,
        name="Fourth session of the expert working group",
        start_time="2026-04-14T08:00:00.000Z",
        end_time="2026-04-15T16:00:00.000Z",
        location="Lake Verin conference hall",
        participant_refs=[sid("identity"), sid("identity")],
        minutes="The session opened at 08:00.",
        decisions=[{"statement": "Adopt the template.", "agenda_item_refs": [sid(AGENDA_ITEM)]}],
        **changes,
    )


def message(**changes: Any) -> dict[str, Any]:
    return _base(
        MESSAGE,
        subject="Monthly consultation",
        content="Please confirm the agenda for the monthly consultation.",
        recipient_refs=[sid("identity")],
        attachment_refs=[sid("report")],
        **changes,
    )


def exercise(**changes: Any) -> dict[str, Any]:
    return _base(
        EXERCISE,
        name="Northern Shield",
        start_time="2026-06-01T06:00:00.000Z",
        end_time="2026-06-10T18:00:00.000Z",
        objectives=["countering-uav", "crisis-response"],
        other_objectives=["Test field communications in the mountains"],
        contingents=[{"organization_ref": sid("identity"), "personnel": 120}],
        observer_refs=[sid("identity")],
        phases=[
            {
                "name": "Deployment",
                "start_time": "2026-06-01T06:00:00.000Z",
                "end_time": "2026-06-03T18:00:00.000Z",
                "location": "Ostrava range",
            }
        ],
        **changes,
    )


def cooperation_event(**changes: Any) -> dict[str, Any]:
    return _base(
        COOPERATION_EVENT,
        name="Staff talks in Varnel",
        event_type="meeting",
        start_time="2026-05-05T07:00:00.000Z",
        end_time="2026-05-05T15:00:00.000Z",
        country="VA",
        place="Varnel",
        latitude=41.5,
        longitude=44.8,
        participant_refs=[sid("identity")],
        **changes,
    )


VALID = {
    AGENDA_ITEM: agenda_item,
    WG_SESSION: wg_session,
    MESSAGE: message,
    EXERCISE: exercise,
    COOPERATION_EVENT: cooperation_event,
}
