"""iCalendar (RFC 5545) export of cooperation events, written by hand.

One VEVENT per event: UID (its STIX id), DTSTAMP (its version), DTSTART and DTEND in
UTC, SUMMARY, DESCRIPTION (type, participants, description), LOCATION (place and
country), GEO when the event has coordinates, CATEGORIES (its type). Escaping and
folding are liaison's (`liaison_ical`): CRLF line ends, no line longer than 75 octets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from accord.cooperation.events import Event, country_name
from accord.cooperation.liaison_ical import escape, fold
from accord.intel import timestamps


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _vevent(e: Event, names: dict[str, str]) -> list[str]:
    end = e.end_time if e.end_time is not None else e.start_time + timedelta(hours=1)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{e.id}",
        f"DTSTAMP:{_utc(timestamps.parse(e.version))}",
        f"DTSTART:{_utc(e.start_time)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{escape(e.name)}",
        f"CATEGORIES:{escape(e.event_type.upper())}",
    ]
    who = ", ".join(names.get(org, org) for org in e.participants)
    parts = [f"Type: {e.event_type}", f"Participants: {who}" if who else "", e.description]
    lines.append(f"DESCRIPTION:{escape(chr(10).join(p for p in parts if p))}")
    where = ", ".join(p for p in (e.place or "", country_name(e.country)) if p)
    if where:
        lines.append(f"LOCATION:{escape(where)}")
    if e.latitude is not None and e.longitude is not None:
        lines.append(f"GEO:{e.latitude:.6f};{e.longitude:.6f}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[Event], names: dict[str, str]) -> str:
    """A VCALENDAR of the events; `names` names the participating organizations."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Accord//Cooperation events//EN"]
    lines += ["CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for event in events:
        lines.extend(_vevent(event, names))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
