"""REST /api/v1/workgroup: an issue's whole life, the sessions, and the audit trail."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_instance

from accord.audit.models import AuditEntry
from accord.audit.service import verify
from tests.cooperation.conftest import WORKGROUP, Cast
from tests.factories import Account, World


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def propose(api: httpx.Client, who: Account, name: str, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "description": f"Why: {name}", **extra}
    return ok(api.post("/workgroup/items", json=body, headers=who.headers), 201)  # type: ignore[no-any-return]


def move(api: httpx.Client, who: Account, item: str, to: str, **extra: Any) -> httpx.Response:
    return api.post(f"/workgroup/items/{item}/moves", json={"to": to, **extra}, headers=who.headers)


def new_session(api: httpx.Client, chair: Account, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Spring session",
        "start_time": "2026-04-14T08:00:00Z",
        "end_time": "2026-04-15T16:00:00Z",
        "location": "Lake Verin conference hall",
        **extra,
    }
    return ok(api.post("/workgroup/sessions", json=body, headers=chair.headers), 201)  # type: ignore[no-any-return]


def test_the_working_group_names_its_chair(api: httpx.Client, cast: Cast) -> None:
    seen = ok(api.get("/workgroup", headers=cast.chair.headers))
    assert seen["name"] == WORKGROUP
    assert seen["chair"] is True
    assert ok(api.get("/workgroup", headers=cast.a.headers))["chair"] is False


def test_an_issue_from_proposal_to_decision(
    api: httpx.Client, world: World, cast: Cast, client: httpx.Client
) -> None:
    a_org, b_org = cast.a.user.org_id, cast.b.user.org_id

    # Member A proposes; member B supports it, then raises its support.
    item = propose(api, cast.a, "Harmonize drone incident reports")
    assert item["status"] == "proposed"
    assert item["proposed_by"] == a_org
    assert item["sharing"] == {"distribution": "node", "sharing_group": None, "tlp": "none"}
    supported = ok(
        api.put(
            f"/workgroup/items/{item['id']}/support",
            json={"opinion": "agree"},
            headers=cast.b.headers,
        )
    )
    assert supported["score"] == 1
    raised = ok(
        api.put(
            f"/workgroup/items/{item['id']}/support",
            json={"opinion": "strongly-agree", "explanation": "Urgent"},
            headers=cast.b.headers,
        )
    )
    assert raised["score"] == 2
    assert [(s["organization"], s["opinion"]) for s in raised["support"]] == [
        (b_org, "strongly-agree")
    ]
    comment = ok(
        api.post(
            f"/workgroup/items/{item['id']}/comments",
            json={"text": "We drafted a form."},
            headers=cast.a.headers,
        ),
        201,
    )
    comments = ok(api.get(f"/workgroup/items/{item['id']}/comments", headers=cast.b.headers))
    assert [(c["id"], c["organization"], c["text"]) for c in comments] == [
        (comment["id"], a_org, "We drafted a form.")
    ]

    # The chair accepts, plans a session and schedules the issue for it.
    assert ok(move(api, cast.chair, item["id"], "accepted"))["status"] == "accepted"
    wg_session = new_session(api, cast.chair, participants=["Defence Staff of Aldoria", b_org])
    assert wg_session["participants"] == [a_org, b_org]
    scheduled = ok(move(api, cast.chair, item["id"], "scheduled", session=wg_session["id"]))
    assert (scheduled["status"], scheduled["session"]) == ("scheduled", wg_session["id"])

    # A second issue, from B, without support: the agenda puts it after the first.
    other = propose(api, cast.b, "Exchange of liaison officers")
    ok(move(api, cast.chair, other["id"], "accepted"))
    ok(move(api, cast.chair, other["id"], "scheduled", session=wg_session["id"]))
    agenda = ok(api.get(f"/workgroup/sessions/{wg_session['id']}/agenda", headers=cast.a.headers))
    assert agenda["session"]["id"] == wg_session["id"]
    assert [i["id"] for i in agenda["items"]] == [item["id"], other["id"]]

    # Discussed in the session, then decided there; the decision names its issue.
    assert ok(move(api, cast.chair, item["id"], "discussed"))["status"] == "discussed"
    agenda = ok(api.get(f"/workgroup/sessions/{wg_session['id']}/agenda", headers=cast.b.headers))
    assert [i["id"] for i in agenda["items"]] == [other["id"]]
    statement = "Adopt the common drone incident form from 1 June."
    decided_session = ok(
        api.post(
            f"/workgroup/sessions/{wg_session['id']}/decisions",
            json={"statement": statement, "items": [item["id"]]},
            headers=cast.chair.headers,
        ),
        201,
    )
    assert decided_session["decisions"] == [{"statement": statement, "items": [item["id"]]}]
    decided = ok(api.get(f"/workgroup/items/{item['id']}", headers=cast.b.headers))
    assert (decided["status"], decided["decision"], decided["session"]) == (
        "decided",
        statement,
        wg_session["id"],
    )
    minutes = ok(
        api.patch(
            f"/workgroup/sessions/{wg_session['id']}",
            json={"minutes": "Opened at 08:00; the form was adopted."},
            headers=cast.chair.headers,
        )
    )
    assert minutes["minutes"] == "Opened at 08:00; the form was adopted."
    assert minutes["version"] > decided_session["version"]
    assert minutes["decisions"] == decided_session["decisions"]

    # Initiative is counted per organization.
    initiative = ok(api.get("/workgroup/initiative", headers=cast.b.headers))
    assert [(i["name"], i["organization"], i["proposed"], i["decided"]) for i in initiative] == [
        ("Defence Staff of Aldoria", a_org, 1, 1),
        ("General Staff of Belvania", b_org, 1, 0),
    ]

    # Every step is a version of one STIX object, valid STIX 2.1, owned by the working group.
    versions = ok(client.get(f"/api/v1/objects/{item['id']}?versions=all", headers=cast.b.headers))[
        "objects"
    ]
    assert [v["status"] for v in versions] == [
        "proposed",
        "accepted",
        "scheduled",
        "discussed",
        "decided",
    ]
    wg_identity = f"identity--{ok(api.get('/workgroup', headers=cast.a.headers))['organization']}"
    for version in versions:
        assert version["created_by_ref"] == wg_identity
        assert version["proposed_by_ref"] == f"identity--{a_org}"
        assert validate_instance(version, ValidationOptions(version="2.1")).is_valid
    for stix_id in (wg_session["id"], comment["id"]):
        stored = ok(client.get(f"/api/v1/objects/{stix_id}", headers=cast.a.headers))
        assert validate_instance(stored, ValidationOptions(version="2.1")).is_valid

    # Each step is audited under the user who took it, and the chain holds.
    with world.db.read() as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like("workgroup.%"))
                .order_by(AuditEntry.seq)
            )
        )
        assert verify(session).ok
    steps = [(e.action, e.actor) for e in entries]
    a_actor, b_actor = f"user:{cast.a.user.email}", f"user:{cast.b.user.email}"
    chair_actor = f"user:{cast.chair.user.email}"
    assert steps[:5] == [
        ("workgroup.propose", a_actor),
        ("workgroup.support", b_actor),
        ("workgroup.support", b_actor),
        ("workgroup.comment", a_actor),
        ("workgroup.move", chair_actor),
    ]
    assert ("workgroup.session.create", chair_actor) in steps
    assert ("workgroup.decide", chair_actor) in steps
    assert steps[-1] == ("workgroup.session.update", chair_actor)
    moves = [e for e in entries if e.action == "workgroup.move" and item["id"] in e.target]
    assert ['"to":"accepted"' in moves[0].detail, '"to":"discussed"' in moves[-1].detail] == [
        True,
        True,
    ]


def test_the_proposer_withdraws_while_proposed(api: httpx.Client, cast: Cast) -> None:
    item = propose(api, cast.a, "Joint glossary of terms")
    withdrawn = ok(move(api, cast.a, item["id"], "withdrawn"))
    assert withdrawn["status"] == "withdrawn"
    listed = ok(api.get("/workgroup/items", params={"status": "withdrawn"}, headers=cast.b.headers))
    assert [i["id"] for i in listed] == [item["id"]]
    assert (
        ok(api.get("/workgroup/items", params={"status": "proposed"}, headers=cast.b.headers)) == []
    )
