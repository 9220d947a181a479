"""Cooperation events over REST: create, edit, list with filters, iCalendar, spread;
bad input refused with nothing written; what one may not see appears nowhere."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from tests.factories import Account, World

EVENTS = "x-accord-cooperation-event"


@pytest.fixture
def rest(client: httpx.Client) -> httpx.Client:
    client.base_url = httpx.URL(f"{client.base_url}/api/v1")
    return client


class Orgs:
    def __init__(self, world: World) -> None:
        self.a_org: Organization = world.org("General Staff of Aldoria")
        self.b_org: Organization = world.org("General Staff of Belvania")
        self.c_org: Organization = world.org("Defence Staff of Corvana")
        self.a: Account = world.account(self.a_org)
        self.b: Account = world.account(self.b_org)
        self.c: Account = world.account(self.c_org)
        self.a_observer: Account = world.account(self.a_org, Role.OBSERVER)
        self.a_contributor: Account = world.account(self.a_org, Role.CONTRIBUTOR)


@pytest.fixture
def orgs(world: World) -> Orgs:
    return Orgs(world)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def event_body(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Staff talks in Varna",
        "event_type": "meeting",
        "start_time": "2026-03-02T09:00:00Z",
        "end_time": "2026-03-03T17:00:00Z",
        "country": "BG",
        "place": "Varna",
        "latitude": 43.2141,
        "longitude": 27.9147,
        "distribution": "node",
    }
    body.update(extra)
    return body


def create(rest: httpx.Client, who: Account, **extra: Any) -> dict[str, Any]:
    return ok(rest.post("/events", json=event_body(**extra), headers=who.headers), 201)  # type: ignore[no-any-return]


def stored(world: World) -> int:
    with world.db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(StixObject).where(StixObject.type == EVENTS)
            )
            or 0
        )


def test_create_get_and_edit(rest: httpx.Client, orgs: Orgs) -> None:
    made = create(rest, orgs.a, participants=[orgs.b_org.name, orgs.c_org.id], tlp="green")
    assert made["owner"] == orgs.a_org.id
    assert made["participants"] == [orgs.b_org.id, orgs.c_org.id]
    assert made["tlp"] == "TLP:GREEN"
    assert made["distribution"] == "node"
    seen = ok(rest.get(f"/events/{made['id']}", headers=orgs.b.headers))
    assert seen["name"] == "Staff talks in Varna"

    changed = event_body(name="Staff talks in Burgas", place="Burgas")
    del changed["distribution"]
    updated = ok(rest.put(f"/events/{made['id']}", json=changed, headers=orgs.a.headers))
    assert updated["name"] == "Staff talks in Burgas"
    assert updated["version"] > made["version"]
    assert updated["distribution"] == "node"  # sharing kept when none is given
    assert updated["participants"] == []
    assert ok(rest.get(f"/events/{made['id']}", headers=orgs.b.headers))["place"] == "Burgas"


def test_only_the_owner_edits(rest: httpx.Client, orgs: Orgs) -> None:
    made = create(rest, orgs.a)
    refused = rest.put(f"/events/{made['id']}", json=event_body(name="x"), headers=orgs.b.headers)
    assert refused.status_code == 403
    observer = rest.post("/events", json=event_body(), headers=orgs.a_observer.headers)
    assert observer.status_code == 403
    contributor = rest.post("/events", json=event_body(), headers=orgs.a_contributor.headers)
    assert contributor.status_code == 403
    draft = rest.post(
        "/events", params={"draft": "true"}, json=event_body(), headers=orgs.a_contributor.headers
    )
    assert ok(draft, 201)["published"] is False
    # The draft is the owner's alone.
    assert ok(rest.get(f"/events/{draft.json()['id']}", headers=orgs.b.headers), 404)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"end_time": "2026-03-01T00:00:00Z"}, "ends before it starts"),
        ({"participants": ["Ministry of Nowhere"]}, "unknown organization 'Ministry of Nowhere'"),
        ({"country": "OO"}, "unknown country code"),
        ({"latitude": 10.0, "longitude": None}, "latitude and longitude together"),
        ({"distribution": "group"}, "sharing group"),
        ({"event_type": "party"}, "event_type"),
        (
            {"exercise_ref": "x-accord-exercise--6f3bd1c8-26a1-4c1e-9d1e-0b5f0e3f4a11"},
            "unknown exercise",
        ),
        ({"start_time": "2026-03-02T09:00:00"}, "timezone"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    rest: httpx.Client, orgs: Orgs, world: World, change: dict[str, Any], words: str
) -> None:
    response = rest.post("/events", json=event_body(**change), headers=orgs.a.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]
    assert words in response.text
    assert stored(world) == 0


def test_bad_edit_changes_nothing(rest: httpx.Client, orgs: Orgs, world: World) -> None:
    made = create(rest, orgs.a)
    bad = event_body(end_time="2026-01-01T00:00:00Z")
    assert rest.put(f"/events/{made['id']}", json=bad, headers=orgs.a.headers).status_code == 422
    unknown = event_body(participants=["Nobody"])
    assert (
        rest.put(f"/events/{made['id']}", json=unknown, headers=orgs.a.headers).status_code == 422
    )
    assert stored(world) == 1
    assert (
        ok(rest.get(f"/events/{made['id']}", headers=orgs.a.headers))["version"] == made["version"]
    )


def test_user_assigned_country_codes_are_scenario_countries(rest: httpx.Client, orgs: Orgs) -> None:
    scenario = create(rest, orgs.a, country="QM", place="Velden")
    listed = ok(rest.get("/events", params={"country": "QM"}, headers=orgs.a.headers))
    assert [e["id"] for e in listed] == [scenario["id"]]
    assert ok(rest.get("/events", params={"country": "BG"}, headers=orgs.a.headers)) == []


def test_filters(rest: httpx.Client, orgs: Orgs) -> None:
    varna = create(rest, orgs.a, participants=[orgs.b_org.id])
    drill = create(
        rest,
        orgs.b,
        name="Border drill",
        event_type="exercise",
        country="RO",
        place="Constanta",
        start_time="2026-05-10T06:00:00Z",
        end_time="2026-05-12T18:00:00Z",
    )
    visit = create(
        rest,
        orgs.c,
        name="Visit of the chief of staff",
        event_type="visit",
        country="BG",
        start_time="2026-07-01T10:00:00Z",
        end_time=None,
        latitude=None,
        longitude=None,
    )

    def ids(**params: str) -> list[str]:
        return [e["id"] for e in ok(rest.get("/events", params=params, headers=orgs.a.headers))]

    assert ids() == [varna["id"], drill["id"], visit["id"]]
    assert ids(country="BG") == [varna["id"], visit["id"]]
    assert ids(type="exercise") == [drill["id"]]
    assert ids(organization=orgs.b_org.name) == [varna["id"], drill["id"]]  # participant, owner
    assert ids(organization=orgs.c_org.id) == [visit["id"]]
    assert ids(since="2026-03-03", until="2026-05-10") == [varna["id"], drill["id"]]
    assert ids(since="2026-03-04", until="2026-05-09") == []
    assert ids(since="2026-06-01") == [visit["id"]]
    for params, status in [
        ({"organization": "Ministry of Nowhere"}, 422),
        ({"since": "2026-05-01", "until": "2026-04-01"}, 422),
        ({"country": "OO"}, 422),
        ({"type": "party"}, 422),
    ]:
        response = rest.get("/events", params=params, headers=orgs.a.headers)
        assert response.status_code == status, params
    assert (
        "unknown organization"
        in rest.get(
            "/events", params={"organization": "Ministry of Nowhere"}, headers=orgs.a.headers
        ).text
    )

    spread = ok(rest.get("/events/spread", headers=orgs.a.headers))
    assert spread["months"] == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    assert spread["countries"] == ["BG", "RO"]
    assert spread["total"] == 3
    assert {(r["month"], r["country"], r["events"]) for r in spread["counts"]} == {
        ("2026-03", "BG", 1),
        ("2026-05", "RO", 1),
        ("2026-07", "BG", 1),
    }
    only_bg = ok(rest.get("/events/spread", params={"country": "BG"}, headers=orgs.a.headers))
    assert only_bg["total"] == 2


def test_icalendar_export(rest: httpx.Client, orgs: Orgs) -> None:
    long_name = "Conference; on drones, borders and the long road ahead — " + "ж" * 40
    made = create(
        rest, orgs.a, name=long_name, event_type="conference", participants=[orgs.b_org.id]
    )
    other = create(rest, orgs.a, country="RO", name="Elsewhere")
    response = rest.get("/events.ics", headers=orgs.b.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    raw = response.content
    lines = raw.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR"
    assert lines[-2] == b"END:VCALENDAR"
    assert lines[-1] == b""
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    text = raw.decode("utf-8").replace("\r\n ", "")
    assert f"UID:{made['id']}" in text
    assert f"UID:{other['id']}" in text
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20260302T090000Z" in text
    assert "DTEND:20260303T170000Z" in text
    assert "DTSTAMP:" in text
    assert "GEO:43.214100;27.914700" in text
    assert "SUMMARY:Conference\\; on drones\\, borders" in text
    assert "LOCATION:Varna\\, Bulgaria" in text
    assert f"Participants: {orgs.b_org.name}" in text
    filtered = rest.get("/events.ics", params={"country": "RO"}, headers=orgs.b.headers).text
    assert filtered.count("BEGIN:VEVENT") == 1
    assert other["id"] in filtered
    bad = rest.get("/events.ics", params={"organization": "Nobody"}, headers=orgs.b.headers)
    assert bad.status_code == 422


def test_what_one_may_not_see_appears_nowhere(rest: httpx.Client, orgs: Orgs, world: World) -> None:
    group = world.group(orgs.a_org, orgs.b_org)
    a = world.refresh(orgs.a)
    private = create(rest, a, name="Org only", distribution="org")
    grouped = create(rest, a, name="Group only", distribution="group", sharing_group=group.id)
    draft = ok(
        rest.post(
            "/events", params={"draft": "true"}, json=event_body(name="Draft"), headers=a.headers
        ),
        201,
    )
    shared = create(rest, a, name="For the node")
    c = orgs.c.headers
    listed = [e["id"] for e in ok(rest.get("/events", headers=c))]
    assert listed == [shared["id"]]
    for hidden in (private, grouped, draft):
        assert rest.get(f"/events/{hidden['id']}", headers=c).status_code == 404
        assert rest.put(f"/events/{hidden['id']}", json=event_body(), headers=c).status_code == 404
        assert hidden["id"] not in rest.get("/events.ics", headers=c).text
    assert ok(rest.get("/events/spread", headers=c))["total"] == 1
    b_listed = {e["id"] for e in ok(rest.get("/events", headers=orgs.b.headers))}
    assert b_listed == {grouped["id"], shared["id"]}
    assert ok(rest.get("/events/spread", headers=orgs.b.headers))["total"] == 2
    assert len(ok(rest.get("/events", headers=a.headers))) == 4
    # Filtering by an organization whose events one cannot see reveals nothing either.
    assert [
        e["id"] for e in ok(rest.get("/events", params={"organization": orgs.a_org.id}, headers=c))
    ] == [shared["id"]]


def test_the_routes_are_described(rest: httpx.Client) -> None:
    paths = ok(rest.get("/openapi.json"))["paths"]
    for path in ("/api/v1/events", "/api/v1/events.ics", "/api/v1/events/spread"):
        assert path in paths
    assert set(paths["/api/v1/events/{event_id}"]) == {"get", "put"}
    assert rest.get("/events").status_code == 401  # no key, no events


def test_the_generic_write_paths_keep_the_rules(
    rest: httpx.Client, orgs: Orgs, world: World
) -> None:
    """An event posted as a plain STIX object (as TAXII or an import would) is refused by
    ingest when it names an organization or exercise the writer does not know of."""
    from accord.cooperation.content import new_object
    from accord.cooperation.types import COOPERATION_EVENT
    from accord.sharing.distribution import Distribution

    def stix(**extra: Any) -> dict[str, Any]:
        obj = new_object(COOPERATION_EVENT, orgs.a.principal, Distribution.NODE)
        obj.update(name="Posted directly", event_type="visit", start_time="2026-06-01T00:00:00Z")
        obj.update(extra)
        return obj

    def post(obj: dict[str, Any]) -> httpx.Response:
        body = {"type": "bundle", "id": "bundle--" + obj["id"].split("--")[1], "objects": [obj]}
        return rest.post("/objects", json=body, headers=orgs.a.headers)

    nobody = "identity--5a1d4c4e-8f57-4a47-9d3b-7c5c9d0c0f11"
    refused = post(stix(participant_refs=[nobody]))
    assert refused.status_code == 422, refused.text
    assert f"references unknown object {nobody}" in refused.text
    ghost = "x-accord-exercise--6f3bd1c8-26a1-4c1e-9d1e-0b5f0e3f4a11"
    assert f"references unknown object {ghost}" in post(stix(exercise_ref=ghost)).text
    assert stored(world) == 0
    accepted = post(stix(participant_refs=[orgs.b_org.identity_id], country="AM"))
    assert accepted.status_code == 201, accepted.text
    listed = ok(rest.get("/events", params={"country": "AM"}, headers=orgs.b.headers))
    assert [e["participants"] for e in listed] == [[orgs.b_org.id]]
