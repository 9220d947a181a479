"""Joint exercises over REST: planning, visibility, lessons in the exchange, replanning,
and every bad input of the issue refused with a clear error and nothing changed."""

# ruff: noqa: F811  (pytest fixtures imported from exercise_fixtures are parameters here)

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.cooperation.types import new_sdo_extension
from accord.db import Database
from accord.intel.extension import EXTENSION_ID
from accord.sharing.tlp import Tlp
from accord.taxii.service import ensure_default_collection
from tests.cooperation.exercise_fixtures import (  # noqa: F401  (fixtures)
    Sides,
    ok,
    plan,
    plan_body,
    refused,
    rest,
    sides,
    state,
)
from tests.factories import Account, World, report, stamp
from tests.taxii.support import Node

OBSERVERS_NEVER_WRITE = "observers of an exercise read what is shared with them; they never write"


def _ids(rest: httpx.Client, who: Account, **params: Any) -> list[str]:
    body = ok(rest.get("/objects", params=params, headers=who.headers))
    return [o["id"] for o in body["objects"]]


def _shared(obj: dict[str, Any], exercise: dict[str, Any]) -> dict[str, Any]:
    """An object shared as the exercise is (its group, its TLP)."""
    obj["extensions"] = {
        EXTENSION_ID: {
            "extension_type": "property-extension",
            "distribution": "group",
            "sharing_group": exercise["sharing_group"],
        }
    }
    obj["object_marking_refs"] = [Tlp.AMBER.marking_id]
    return obj


def _note(exercise: dict[str, Any], text: str = "We saw it too") -> dict[str, Any]:
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    note = {
        "type": "note",
        "spec_version": "2.1",
        "id": f"note--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "content": text,
        "object_refs": [exercise["id"]],
    }
    return _shared(note, exercise)


def _course_and_link(exercise: dict[str, Any]) -> list[dict[str, Any]]:
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    course = {
        "type": "course-of-action",
        "spec_version": "2.1",
        "id": f"course-of-action--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": "Jam the drone's control link first",
    }
    link = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "relationship_type": "related-to",
        "source_ref": course["id"],
        "target_ref": exercise["id"],
    }
    return [_shared(course, exercise), _shared(link, exercise)]


# --- planning and visibility ------------------------------------------------------------------


def test_a_planned_exercise_is_seen_by_its_organizations_only(
    rest: httpx.Client, sides: Sides
) -> None:
    exercise = plan(rest, sides)
    assert exercise["tlp"] == "TLP:AMBER"  # the default
    assert exercise["status"] == "planned"
    assert exercise["owner"] == sides.planner_org.id
    assert exercise["contingents"] == [
        {"organization": sides.partner_org.id, "description": "A UAV unit", "personnel": 40}
    ]
    assert exercise["observers"] == [sides.observer_org.id]
    assert [p["name"] for p in exercise["phases"]] == ["Command-post phase", "Field phase"]
    assert exercise["objectives"] == ["countering-uav", "crisis-response"]

    for who in (sides.planner, sides.partner, sides.observer, sides.planner_reader):
        assert [e["id"] for e in ok(rest.get("/exercises", headers=who.headers))] == [
            exercise["id"]
        ]
        assert ok(rest.get(f"/exercises/{exercise['id']}", headers=who.headers))["name"] == (
            "Steppe Shield 2026"
        )
        assert exercise["id"] in _ids(rest, who, type="x-accord-exercise")

    outsider = sides.outsider
    assert ok(rest.get("/exercises", headers=outsider.headers)) == []
    refused(rest.get(f"/exercises/{exercise['id']}", headers=outsider.headers), 404, "no exercise")
    refused(
        rest.get(f"/exercises/{exercise['id']}/lessons", headers=outsider.headers),
        404,
        "no exercise",
    )
    assert _ids(rest, outsider, type="x-accord-exercise") == []
    assert _ids(rest, outsider) == []  # not even the lessons' links or the exercise, counted
    refused(
        rest.post(
            f"/exercises/{exercise['id']}/lessons",
            json={"title": "x", "text": "y"},
            headers=outsider.headers,
        ),
        404,
        "no exercise",
    )


def test_lessons_learned_reach_the_exchange_of_the_contingents(
    rest: httpx.Client, sides: Sides, db: Database
) -> None:
    exercise = plan(rest, sides, tlp="green")
    eid = exercise["id"]
    course = ok(
        rest.post(
            f"/exercises/{eid}/lessons",
            json={"title": "Jam the control link first", "text": "It stopped three of four."},
            headers=sides.partner.headers,
        ),
        201,
    )
    note = ok(
        rest.post(
            f"/exercises/{eid}/lessons",
            json={"kind": "note", "title": "Radio discipline", "text": "Use the fallback net."},
            headers=sides.planner.headers,
        ),
        201,
    )
    assert course["kind"] == "course-of-action"
    assert course["organization"] == sides.partner_org.id
    lessons = ok(rest.get(f"/exercises/{eid}/lessons", headers=sides.observer.headers))
    assert [x["id"] for x in lessons] == [course["id"], note["id"]]

    for who in (sides.planner, sides.partner, sides.observer):
        listed = _ids(rest, who, type=["course-of-action", "note"])
        assert set(listed) == {course["id"], note["id"]}
        stored = ok(rest.get(f"/objects/{course['id']}", headers=who.headers))
        assert stored["labels"] == ["lesson-learned"]
        assert stored["object_marking_refs"] == [Tlp.GREEN.marking_id]
        assert stored["extensions"][EXTENSION_ID]["sharing_group"] == exercise["sharing_group"]
    assert _ids(rest, sides.outsider, type=["course-of-action", "note", "relationship"]) == []

    closed = ok(rest.post(f"/exercises/{eid}/close", headers=sides.planner.headers))
    assert closed["status"] == "closed"
    assert closed["closed_at"]
    # After-action lessons still come after the close.
    ok(
        rest.post(
            f"/exercises/{eid}/lessons",
            json={"title": "Debrief sooner", "text": "Within a day."},
            headers=sides.partner.headers,
        ),
        201,
    )
    with db.read() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("exercise.%")))
        )
    assert actions == {"exercise.plan", "exercise.lesson.add", "exercise.close"}


def test_replanning_moves_who_sees_the_exercise(rest: httpx.Client, sides: Sides) -> None:
    exercise = plan(rest, sides)
    eid = exercise["id"]
    body = plan_body(
        sides,
        contingents=[{"organization": sides.outsider_org.name}],
        observers=[sides.partner_org.id],
    )
    refused(
        rest.put(f"/exercises/{eid}", json=body, headers=sides.partner.headers),
        403,
        "only the planning organization",
    )
    changed = ok(rest.put(f"/exercises/{eid}", json=body, headers=sides.planner.headers))
    assert changed["version"] != exercise["version"]
    assert changed["tlp"] == "TLP:AMBER"  # unchanged when not given
    assert [c["organization"] for c in changed["contingents"]] == [sides.outsider_org.id]
    assert changed["observers"] == [sides.partner_org.id]
    assert ok(rest.get("/exercises", headers=sides.observer.headers)) == []
    assert [e["id"] for e in ok(rest.get("/exercises", headers=sides.outsider.headers))] == [eid]
    refused(
        rest.post(
            f"/exercises/{eid}/lessons",
            json={"title": "x", "text": "y"},
            headers=sides.partner.headers,
        ),
        403,
        OBSERVERS_NEVER_WRITE,
    )

    added = ok(
        rest.post(
            f"/exercises/{eid}/observers",
            json={"organization": sides.observer_org.name},
            headers=sides.planner.headers,
        )
    )
    assert added["observers"] == [sides.partner_org.id, sides.observer_org.id]
    removed = ok(
        rest.delete(
            f"/exercises/{eid}/contingents/{sides.outsider_org.id}", headers=sides.planner.headers
        )
    )
    assert removed["contingents"] == []
    assert ok(rest.get("/exercises", headers=sides.outsider.headers)) == []
    phased = ok(
        rest.post(
            f"/exercises/{eid}/phases",
            json={"name": "Debrief", "start_time": "2026-09-10T00:00:00Z"},
            headers=sides.planner.headers,
        )
    )
    assert [p["name"] for p in phased["phases"]][-1] == "Debrief"

    ok(rest.post(f"/exercises/{eid}/close", headers=sides.planner.headers))
    refused(rest.put(f"/exercises/{eid}", json=body, headers=sides.planner.headers), 409, "closed")
    refused(rest.post(f"/exercises/{eid}/close", headers=sides.planner.headers), 409, "closed")


# --- bad input: clear error, nothing changed --------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"end_time": "2026-08-01T00:00:00Z"}, "the exercise ends before it starts"),
        (
            {
                "phases": [
                    {
                        "name": "Field phase",
                        "start_time": "2026-09-05T00:00:00Z",
                        "end_time": "2026-09-03T00:00:00Z",
                    }
                ]
            },
            "phase 'Field phase' ends before it starts",
        ),
        (
            {"phases": [{"name": "Early", "start_time": "2026-08-20T00:00:00Z"}]},
            "phase 'Early' starts before the exercise starts",
        ),
        (
            {"phases": [{"name": "Late", "start_time": "2026-09-12T00:00:00Z"}]},
            "phase 'Late' ends after the exercise ends",
        ),
        (
            {"contingents": [{"organization": "Ministry of Nowhere"}]},
            "unknown organization 'Ministry of Nowhere'",
        ),
        ({"observers": ["Principality of Nowhere"]}, "unknown organization"),
        ({"objectives": [], "other_objectives": []}, "at least one objective"),
        ({"objectives": ["world-peace"]}, "body.objectives.0"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_plan_is_refused_and_writes_nothing(
    rest: httpx.Client, sides: Sides, db: Database, change: dict[str, Any], words: str
) -> None:
    before = state(db)
    response = rest.post(
        "/exercises", json=plan_body(sides, **change), headers=sides.planner.headers
    )
    refused(response, 422, words)
    assert state(db) == before


def test_an_observer_cannot_also_send_a_contingent(
    rest: httpx.Client, sides: Sides, db: Database
) -> None:
    before = state(db)
    both = plan_body(sides, observers=[sides.partner_org.name])
    refused(
        rest.post("/exercises", json=both, headers=sides.planner.headers),
        422,
        f"{sides.partner_org.name} cannot be both a contingent and an observer",
    )
    itself = plan_body(sides, observers=[sides.planner_org.id])
    refused(
        rest.post("/exercises", json=itself, headers=sides.planner.headers),
        422,
        "cannot also be an observer",
    )
    refused(
        rest.post("/exercises", json=plan_body(sides), headers=sides.planner_reader.headers),
        403,
        "your role may not write",
    )
    assert state(db) == before

    exercise = plan(rest, sides)
    before = state(db)
    eid = exercise["id"]
    for path, body in [
        ("/contingents", {"organization": sides.observer_org.id}),
        ("/observers", {"organization": sides.partner_org.name}),
        ("/contingents", {"organization": "Ministry of Nowhere"}),
        ("/observers", {"organization": "Ministry of Nowhere"}),
        ("/phases", {"name": "Late", "start_time": "2026-10-01T00:00:00Z"}),
    ]:
        response = rest.post(f"/exercises/{eid}{path}", json=body, headers=sides.planner.headers)
        assert response.status_code == 422, response.text
    bad_dates = plan_body(sides, end_time="2026-08-01T00:00:00Z")
    refused(rest.put(f"/exercises/{eid}", json=bad_dates, headers=sides.planner.headers), 422, "")
    assert state(db) == before
    assert ok(rest.get(f"/exercises/{eid}", headers=sides.planner.headers)) == exercise


def test_observers_never_write_on_the_exercises_api(
    rest: httpx.Client, sides: Sides, db: Database
) -> None:
    exercise = plan(rest, sides)
    eid = exercise["id"]
    before = state(db)
    who = sides.observer.headers
    attempts = [
        rest.put(f"/exercises/{eid}", json=plan_body(sides), headers=who),
        rest.post(f"/exercises/{eid}/close", headers=who),
        rest.post(f"/exercises/{eid}/lessons", json={"title": "t", "text": "x"}, headers=who),
        rest.post(
            f"/exercises/{eid}/lessons",
            json={"kind": "note", "title": "t", "text": "x"},
            headers=who,
        ),
        rest.post(f"/exercises/{eid}/contingents", json={"organization": "x"}, headers=who),
        rest.post(f"/exercises/{eid}/observers", json={"organization": "x"}, headers=who),
        rest.post(
            f"/exercises/{eid}/phases",
            json={"name": "p", "start_time": "2026-09-02T00:00:00Z"},
            headers=who,
        ),
        rest.delete(f"/exercises/{eid}/observers/{sides.observer_org.id}", headers=who),
    ]
    for response in attempts:
        refused(response, 403, OBSERVERS_NEVER_WRITE)
    assert state(db) == before
    assert ok(rest.get(f"/exercises/{eid}", headers=who)) == exercise


def test_observers_never_write_on_the_generic_paths(
    rest: httpx.Client, client: httpx.Client, world: World, sides: Sides, db: Database
) -> None:
    exercise = plan(rest, sides)
    with db.write() as session:
        collection = ensure_default_collection(session).id
    before = state(db)
    observer = sides.observer
    about = _shared(report([exercise["id"]]), exercise)
    for objects in ([_note(exercise)], _course_and_link(exercise), [about]):
        response = rest.post("/objects", json=objects, headers=observer.headers)
        refused(response, 422, OBSERVERS_NEVER_WRITE)

    node = Node(world, client, collection)
    status = node.post(observer, collection, [_note(exercise)]).json()
    assert status["success_count"] == 0, status
    assert OBSERVERS_NEVER_WRITE in status["failures"][0]["message"]

    # An outsider cannot even name it; the planner cannot bypass the module either.
    own = _note(exercise)
    del own["extensions"]  # shared as the outsider's own (org): the group is not its to use
    response = rest.post("/objects", json=[own], headers=sides.outsider.headers)
    refused(response, 422, f"references unknown object {exercise['id']}")
    stored = ok(rest.get(f"/objects/{exercise['id']}", headers=sides.planner.headers))
    edited = {
        **stored,
        "modified": stamp(datetime.now(UTC)),
        "observer_refs": [sides.partner_org.identity_id],
    }
    edited.pop("published", None)
    response = rest.post("/objects", json=[edited], headers=sides.planner.headers)
    refused(response, 422, "exercises are written through the exercises module")
    assert state(db) == before

    # The contingent may attach its own notes on the generic path: they are lessons too.
    note = _note(exercise, "A note from the field")
    ok(rest.post("/objects", json=[note], headers=sides.partner.headers), 201)
    lessons = ok(rest.get(f"/exercises/{exercise['id']}/lessons", headers=sides.planner.headers))
    assert [x["id"] for x in lessons] == [note["id"]]


def test_a_new_exercise_on_the_generic_path_is_refused(
    rest: httpx.Client, sides: Sides, db: Database
) -> None:
    before = state(db)
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    obj = {
        "type": "x-accord-exercise",
        "spec_version": "2.1",
        "id": f"x-accord-exercise--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": "Shadow drill",
        "start_time": "2026-09-01T00:00:00Z",
        "extensions": new_sdo_extension("x-accord-exercise"),
    }
    response = rest.post("/objects", json=[obj], headers=sides.planner.headers)
    refused(response, 422, "/api/v1/exercises")
    assert state(db) == before
