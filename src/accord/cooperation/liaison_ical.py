"""iCalendar (RFC 5545) export of regular consultations, written by hand.

One VEVENT per consultation: UID (its STIX id), DTSTAMP (its version), DTSTART and
DURATION, an RRULE (FREQ=WEEKLY or MONTHLY, INTERVAL, UNTIL), SUMMARY, DESCRIPTION,
LOCATION. Times are UTC. Text is escaped (backslash, semicolon, comma, newline), lines
end in CRLF and are folded so that none is longer than 75 octets, never inside a
UTF-8 sequence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from accord.cooperation.liaison import Consultation

_LIMIT = 75  # octets per line, CRLF excluded (RFC 5545 section 3.1)


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 section 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line into CRLF-terminated lines of at most 75 octets."""
    pieces: list[str] = []
    current, size, limit = "", 0, _LIMIT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, _LIMIT - 1  # continuation lines start with a space
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces) + "\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _duration(length: timedelta) -> str:
    minutes = int(length.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours else "")


def _rrule(c: Consultation) -> str:
    rule = f"FREQ={c.frequency.upper()};INTERVAL={c.interval}"
    return rule + (f";UNTIL={_utc(c.until)}" if c.until is not None else "")


def _event(c: Consultation, names: dict[str, str]) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{c.id}",
        f"DTSTAMP:{_utc(c.modified)}",
        f"DTSTART:{_utc(c.start_time)}",
        f"DURATION:{_duration(c.duration)}",
        f"RRULE:{_rrule(c)}",
        f"SUMMARY:{escape(c.name)}",
    ]
    who = ", ".join(names.get(org, org) for org in c.participants)
    description = "\n\n".join(part for part in (c.description, f"Participants: {who}") if part)
    lines.append(f"DESCRIPTION:{escape(description)}")
    if c.location:
        lines.append(f"LOCATION:{escape(c.location)}")
    lines.append("END:VEVENT")
    return lines


def calendar(consultations: Iterable[Consultation], names: dict[str, str]) -> str:
    """A VCALENDAR of the consultations; `names` names the participating organizations."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Accord//Liaison consultations//EN"]
    lines.append("CALSCALE:GREGORIAN")
    for consultation in consultations:
        lines.extend(_event(consultation, names))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
