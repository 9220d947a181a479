"""The shape of a demo story, its themes, and the short texts reactions and revisions use.

The stories themselves are in `security_stories` and `field_stories`; their keys point
into `catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    title: str
    summary: str
    place: str
    tactic: str
    actor: str
    measures: tuple[str, ...]
    extra: str = ""  # a tool (catalog.TOOLS) or malware (catalog.MALWARE) key
    vuln: str = ""  # a catalog.VULNERABILITIES key


THEMES = ("incident", "cuas", "infosec", "ct", "cbrn")

LABELS: dict[str, list[str]] = {
    "incident": ["incident-report", "military-security"],
    "cuas": ["counter-uas", "lessons-learned"],
    "infosec": ["information-security", "advisory"],
    "ct": ["counter-terrorism", "experience"],
    "cbrn": ["cbrn", "exercise", "lessons-learned"],
}

# A sentence appended when an author revises an object (new version).
REVISIONS: tuple[str, ...] = (
    "Update: timeline corrected after review by the originating staff.",
    "Update: partner reports confirm the assessment; confidence raised.",
    "Update: countermeasure tested again; results added.",
    "Update: details released for wider sharing after review.",
    "Update: one reported address was a shared hosting server; context added.",
)

OPINIONS: tuple[tuple[str, str], ...] = (
    ("agree", "Matches what our staff saw at our own sites this year."),
    ("strongly-agree", "We applied the same measure and had the same result."),
    ("neutral", "Plausible; we have no observations of our own to compare."),
    ("agree", "Useful for our next exercise planning conference."),
    ("disagree", "Our trials found the measure less effective in bad weather."),
)

NOTES: tuple[str, ...] = (
    "Our contingent can share the detailed trial data on request through liaison.",
    "Similar activity near our border posts last month; report follows.",
    "Recommend adding this to the agenda of the next expert working group session.",
    "We translated the lessons into our guard instructions; copy available.",
    "Proposed correction: the second event was on the following day.",
)
