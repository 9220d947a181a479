"""The steps a demo plan is made of, and the packages it tracks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from accord.demo.packages import Package
from accord.demo.stix import StixDict
from accord.sharing.distribution import Distribution


@dataclass(frozen=True)
class Sharing:
    distribution: Distribution
    group: str | None = None  # a coalition.GroupSpec key


@dataclass
class Write:
    """One ingest request by one user (e-mail), with its write defaults."""

    author: str
    sharing: Sharing
    published: bool
    objects: list[StixDict] = field(default_factory=list)


@dataclass(frozen=True)
class Publish:
    author: str
    stix_id: str


@dataclass(frozen=True)
class Revoke:
    author: str
    stix_id: str
    at: datetime


Step = Write | Publish | Revoke


@dataclass
class Written:
    """A package as planned: its author organization, sharing and publication history."""

    package: Package
    org: str
    sharing: Sharing
    first_published: bool  # written published; otherwise written as a draft
    published: bool  # published in the end (a draft an analyst published later)


def merge(writes: list[Write]) -> list[Write]:
    """One request per author, sharing and state, in first-seen order (fewer round trips)."""
    merged: dict[tuple[str, Sharing, bool], Write] = {}
    for w in writes:
        key = (w.author, w.sharing, w.published)
        if key in merged:
            merged[key].objects.extend(w.objects)
        else:
            merged[key] = Write(w.author, w.sharing, w.published, list(w.objects))
    return list(merged.values())
