"""Points of contact and the schedule of regular consultations with its iCalendar export
(parsed here by a small RFC 5545 reader, independent of the writer)."""

# ruff: noqa: F811  (pytest fixtures imported from liaison_fixtures are parameters here)

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from accord.cooperation.liaison_ical import fold
from tests.cooperation.liaison_fixtures import (  # noqa: F401  (fixtures)
    Staffs,
    ok,
    open_channel,
    rest,
    staffs,
)
from tests.factories import Account

# --- points of contact -------------------------------------------------------------------


def _contact(rest: httpx.Client, staffs: Staffs, name: str, **extra: object) -> dict[str, object]:
    body = {"name": name, "function": "Liaison officer", **extra}
    return ok(rest.post("/liaison/contacts", json=body, headers=staffs.a.headers), 201)  # type: ignore[no-any-return]


def test_others_see_only_published_points_of_contact(rest: httpx.Client, staffs: Staffs) -> None:
    published = _contact(
        rest, staffs, "Col. Irina Vask", phone="+99 21 555 0142", email="liaison@aldoria.example"
    )
    draft = _contact(rest, staffs, "Maj. Teodor Lind", published=False)
    assert published["organization"] == staffs.a_org.id
    assert published["phone"] == "+99 21 555 0142"

    def names(account: Account = staffs.b, **params: str) -> list[str]:
        found = ok(rest.get("/liaison/contacts", params=params, headers=account.headers))
        return [c["name"] for c in found]

    assert names(organization=staffs.a_org.name) == ["Col. Irina Vask"]
    assert names() == ["Col. Irina Vask"]
    assert sorted(names(staffs.a, organization=staffs.a_org.id)) == [
        "Col. Irina Vask",
        "Maj. Teodor Lind",
    ]
    # The directory is not a list of users: A's analyst, a user, appears nowhere.
    listing = rest.get("/liaison/contacts", headers=staffs.b.headers).text
    assert staffs.a.user.email not in listing
    assert staffs.b.user.email not in listing
    # Another organization's draft does not exist for B.
    gone = rest.delete(f"/liaison/contacts/{draft['id']}", headers=staffs.b.headers)
    assert gone.status_code == 404
    # B may not withdraw A's published contact; A may, and it is gone for everyone.
    refused = rest.delete(f"/liaison/contacts/{published['id']}", headers=staffs.b.headers)
    assert refused.status_code == 403
    assert names() == ["Col. Irina Vask"]
    withdrawn = rest.delete(f"/liaison/contacts/{published['id']}", headers=staffs.a.headers)
    assert withdrawn.status_code == 204
    assert names() == []
    assert names(staffs.a) == ["Maj. Teodor Lind"]


# --- iCalendar ---------------------------------------------------------------------------


def _unfold(text: str) -> list[str]:
    """RFC 5545 3.1: lines end in CRLF; a line starting with a space or tab continues
    the previous one. Checks the 75-octet limit on the way."""
    assert text.endswith("\r\n")
    raw = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in raw)
    assert all(len(line.encode("utf-8")) <= 75 for line in raw), raw
    lines: list[str] = []
    for line in raw:
        if line[:1] in (" ", "\t"):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def _events(text: str) -> list[dict[str, str]]:
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines[1:-1]:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    assert current is None
    return events


def test_fold_never_splits_a_character_and_keeps_the_limit() -> None:
    line = "SUMMARY:" + "Консультация штабов " * 8
    folded = fold(line)
    pieces = folded[:-2].split("\r\n")
    assert len(pieces) > 2
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line


def test_consultations_and_their_icalendar_export(rest: httpx.Client, staffs: Staffs) -> None:
    channel = open_channel(rest, staffs.a, staffs.b_org.id, staffs.c_org.id)
    cid = channel["id"]
    long_name = "Консультации штабов; Aldoria, Belvania and Corvana " + "— регулярно " * 4
    body = {
        "name": long_name,
        "description": "Agenda: border; drones, exercises\nBring the monthly report.",
        "start_time": "2026-03-02T11:00:00+02:00",
        "duration_minutes": 90,
        "frequency": "weekly",
        "interval": 2,
        "until": "2026-06-29T09:00:00Z",
        "location": "Video link, room 4",
        "participants": [staffs.a_org.id, staffs.b_org.name],
    }
    weekly = ok(
        rest.post(f"/liaison/channels/{cid}/consultations", json=body, headers=staffs.a.headers),
        201,
    )
    assert weekly["start_time"] == "2026-03-02T09:00:00.000Z"
    assert weekly["participants"] == [staffs.a_org.id, staffs.b_org.id]
    monthly = ok(
        rest.post(
            f"/liaison/channels/{cid}/consultations",
            json={
                "name": "Monthly chiefs of staff call",
                "start_time": "2026-03-05T14:30:00Z",
                "duration_minutes": 120,
                "frequency": "monthly",
            },
            headers=staffs.b.headers,
        ),
        201,
    )
    listed = ok(rest.get(f"/liaison/channels/{cid}/consultations", headers=staffs.c.headers))
    assert [c["id"] for c in listed] == [weekly["id"], monthly["id"]]
    assert listed[1]["participants"] == channel["members"]

    response = rest.get(f"/liaison/channels/{cid}/consultations.ics", headers=staffs.c.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    first, second = _events(response.text)
    assert first["UID"] == weekly["id"]
    assert first["DTSTART"] == "20260302T090000Z"
    assert first["DURATION"] == "PT1H30M"
    assert first["RRULE"] == "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260629T090000Z"
    assert _unescape(first["SUMMARY"]) == long_name
    assert _unescape(first["LOCATION"]) == "Video link, room 4"
    description = _unescape(first["DESCRIPTION"])
    assert description.startswith("Agenda: border; drones, exercises\nBring the monthly report.")
    assert f"Participants: {staffs.a_org.name}, {staffs.b_org.name}" in description
    stamp = datetime.strptime(first["DTSTAMP"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert stamp.year >= 2026
    assert second["UID"] == monthly["id"]
    assert second["DTSTART"] == "20260305T143000Z"
    assert second["DURATION"] == "PT2H"
    assert second["RRULE"] == "FREQ=MONTHLY;INTERVAL=1"
    assert "LOCATION" not in second
    everything = rest.get("/liaison/consultations.ics", headers=staffs.a.headers)
    assert [e["UID"] for e in _events(everything.text)] == [weekly["id"], monthly["id"]]
