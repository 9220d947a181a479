"""Bad input and steps not allowed: a clear 4xx, and nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEntry
from accord.cooperation import workgroup
from accord.cooperation.roles import Status
from accord.errors import Invalid
from accord.intel.models import StixObject
from tests.cooperation.conftest import WORKGROUP, Cast
from tests.cooperation.test_workgroup_api import move, new_session, ok, propose
from tests.factories import World


def _written(world: World) -> tuple[int, int]:
    with world.db.read() as session:
        objects = session.scalar(select(func.count()).select_from(StixObject))
        audit = session.scalar(select(func.count()).select_from(AuditEntry))
    return int(objects or 0), int(audit or 0)


def refused(response: httpx.Response, status: int, words: str) -> None:
    """The response is the refusal expected; the caller checks nothing was written."""
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"]), response.text


@pytest.fixture
def scheduled(api: httpx.Client, cast: Cast) -> dict[str, Any]:
    """An issue of A's, accepted and scheduled for a session."""
    item = propose(api, cast.a, "Counter-UAV training standards")
    ok(move(api, cast.chair, item["id"], "accepted"))
    wg_session = new_session(api, cast.chair)
    ok(move(api, cast.chair, item["id"], "scheduled", session=wg_session["id"]))
    return {"item": item["id"], "session": wg_session["id"]}


def test_who_may_not_take_part(api: httpx.Client, world: World, cast: Cast) -> None:
    item = propose(api, cast.a, "Shared exercise calendar")
    before = _written(world)
    body = {"name": "An issue"}
    for who, words in [
        (cast.a_observer, "observers read; they never write"),
        (cast.b_contributor, "your role may not take part"),
        (cast.partner, "only member organizations take part"),
        (cast.observer_org, "only member organizations take part"),
    ]:
        refused(api.post("/workgroup/items", json=body, headers=who.headers), 403, words)
        support = api.put(
            f"/workgroup/items/{item['id']}/support",
            json={"opinion": "agree"},
            headers=who.headers,
        )
        refused(support, 403, words)
        comment = api.post(
            f"/workgroup/items/{item['id']}/comments", json={"text": "Hi"}, headers=who.headers
        )
        refused(comment, 403, words)
    assert _written(world) == before
    assert ok(api.get(f"/workgroup/items/{item['id']}", headers=cast.a.headers))["support"] == []


def test_steps_only_the_chair_takes(
    api: httpx.Client, world: World, cast: Cast, scheduled: dict[str, Any]
) -> None:
    proposed = propose(api, cast.a, "Exchange of experts")
    before = _written(world)
    refused(move(api, cast.a, proposed["id"], "accepted"), 403, "only the chair")
    refused(move(api, cast.b, proposed["id"], "withdrawn"), 403, "only the chair or")
    refused(move(api, cast.partner, proposed["id"], "withdrawn"), 403, "only the chair")
    refused(move(api, cast.a, scheduled["item"], "discussed"), 403, "only the chair")
    # The proposer withdraws only while the issue is proposed.
    refused(move(api, cast.a, scheduled["item"], "withdrawn"), 403, "only the chair")
    plan = {"name": "Extra session", "start_time": "2026-05-01T08:00:00Z"}
    refused(
        api.post("/workgroup/sessions", json=plan, headers=cast.a.headers),
        403,
        "only the chair",
    )
    refused(
        api.patch(
            f"/workgroup/sessions/{scheduled['session']}",
            json={"minutes": "Forged"},
            headers=cast.b.headers,
        ),
        403,
        "only the chair",
    )
    decision = {"statement": "Adopted.", "items": [scheduled["item"]]}
    refused(
        api.post(
            f"/workgroup/sessions/{scheduled['session']}/decisions",
            json=decision,
            headers=cast.a.headers,
        ),
        403,
        "only the chair",
    )
    assert _written(world) == before


def test_steps_the_status_does_not_allow(
    api: httpx.Client, world: World, cast: Cast, scheduled: dict[str, Any]
) -> None:
    proposed = propose(api, cast.a, "Common alert levels")
    withdrawn = propose(api, cast.b, "Withdrawn idea")
    ok(move(api, cast.b, withdrawn["id"], "withdrawn"))
    before = _written(world)
    session_id = scheduled["session"]
    refused(
        move(api, cast.chair, proposed["id"], "scheduled", session=session_id),
        409,
        "an issue that is proposed cannot become scheduled",
    )
    refused(move(api, cast.chair, proposed["id"], "discussed"), 409, "cannot become")
    refused(move(api, cast.chair, withdrawn["id"], "accepted"), 409, "is withdrawn")
    refused(move(api, cast.chair, scheduled["item"], "accepted"), 409, "cannot become")
    not_discussed = {"statement": "Adopted.", "items": [scheduled["item"]]}
    refused(
        api.post(
            f"/workgroup/sessions/{session_id}/decisions",
            json=not_discussed,
            headers=cast.chair.headers,
        ),
        409,
        "an issue that is scheduled cannot become decided",
    )
    closed = api.put(
        f"/workgroup/items/{withdrawn['id']}/support",
        json={"opinion": "agree"},
        headers=cast.a.headers,
    )
    refused(closed, 409, "the issue is withdrawn")
    refused(move(api, cast.chair, proposed["id"], "decided"), 422, "Input should be")
    assert _written(world) == before


def test_a_decision_only_covers_issues_discussed_in_its_session(
    api: httpx.Client, world: World, cast: Cast, scheduled: dict[str, Any]
) -> None:
    ok(move(api, cast.chair, scheduled["item"], "discussed"))
    elsewhere = new_session(api, cast.chair, name="Autumn session")
    before = _written(world)
    decision = {"statement": "Adopted.", "items": [scheduled["item"]]}
    refused(
        api.post(
            f"/workgroup/sessions/{elsewhere['id']}/decisions",
            json=decision,
            headers=cast.chair.headers,
        ),
        409,
        "was not discussed in this session",
    )
    twice = {"statement": "Adopted.", "items": [scheduled["item"], scheduled["item"]]}
    refused(
        api.post(
            f"/workgroup/sessions/{scheduled['session']}/decisions",
            json=twice,
            headers=cast.chair.headers,
        ),
        422,
        "each once",
    )
    assert _written(world) == before
    assert ok(api.get(f"/workgroup/items/{scheduled['item']}", headers=cast.a.headers))[
        "status"
    ] == ("discussed")


def test_bad_sessions_and_schedules(
    api: httpx.Client, world: World, cast: Cast, scheduled: dict[str, Any]
) -> None:
    before = _written(world)
    base = {"name": "Session", "start_time": "2026-05-02T08:00:00Z"}
    for changes, status, words in [
        ({"end_time": "2026-05-01T08:00:00Z"}, 422, "end_time must not be earlier than"),
        ({"participants": ["No Such Ministry"]}, 422, "unknown organization 'No Such Ministry'"),
        ({"participants": [cast.a.user.org_id, cast.a.user.org_id]}, 422, "named twice"),
        ({"start_time": "2026-05-02T08:00:00"}, 422, "timezone"),
        ({"distribution": "org"}, 422, "choose node, federation, open or group"),
        ({"distribution": "group"}, 422, "goes with a sharing group"),
        ({"tlp": "purple"}, 422, "invalid_request"),
    ]:
        response = api.post(
            "/workgroup/sessions", json={**base, **changes}, headers=cast.chair.headers
        )
        assert response.status_code == status, (changes, response.text)
        assert words in response.text, (changes, response.text)
    patch = api.patch(
        f"/workgroup/sessions/{scheduled['session']}",
        json={"end_time": "2026-01-01T00:00:00Z"},
        headers=cast.chair.headers,
    )
    refused(patch, 422, "end_time must not be earlier than start_time")
    assert _written(world) == before

    accepted = propose(api, cast.b, "Liaison officers")
    ok(move(api, cast.chair, accepted["id"], "accepted"))
    before = _written(world)
    refused(move(api, cast.chair, accepted["id"], "scheduled"), 422, "give the session")
    unknown = f"x-accord-wg-session--{'0' * 8}-0000-4000-8000-{'0' * 12}"
    refused(
        move(api, cast.chair, accepted["id"], "scheduled", session=unknown),
        404,
        f"no working-group session {unknown}",
    )
    refused(
        move(api, cast.chair, accepted["id"], "withdrawn", session=scheduled["session"]),
        422,
        "only when scheduling",
    )
    assert _written(world) == before


def test_the_service_decides_and_proposes_only_through_their_own_steps(
    api: httpx.Client, world: World, cast: Cast
) -> None:
    item = propose(api, cast.a, "Shared reading list")
    before = _written(world)
    with world.db.write() as session:
        wg = workgroup.workgroup_org(session, WORKGROUP)
        for target, words in [
            (Status.DECIDED, "by recording a decision"),
            (Status.PROPOSED, "proposed once"),
        ]:
            with pytest.raises(Invalid, match=words):
                workgroup.move(session, cast.chair.principal, wg, item["id"], target)
    assert _written(world) == before
