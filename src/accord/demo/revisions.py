"""Later versions and revocations of demo objects, by their owner organizations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from accord.demo import coalition
from accord.demo.narratives import REVISIONS
from accord.demo.steps import Revoke, Write, Written, merge
from accord.demo.stix import StixDict, revised

END = datetime(2026, 10, 15, 18, 0, tzinfo=UTC)  # no planned content is newer than this
REVOKED_AT = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
VERSIONED_TYPES = ("report", "indicator", "course-of-action", "incident", "attack-pattern")
SECOND, THIRD, DRAFT_REVISIONS = 20, 5, 2


def versions(rng: random.Random, done: list[Written]) -> tuple[list[Write], set[str]]:
    """Second versions, third versions and draft revisions, each phase its own requests.

    Returns the writes and the ids whose newest version is a draft revision.
    """
    stable = [w for w in done if w.first_published]
    candidates = [(w, o) for w in stable for o in w.package.objects if o["type"] in VERSIONED_TYPES]
    chosen = rng.sample(candidates, SECOND)
    second, third = [], []
    for n, (w, obj) in enumerate(chosen):
        when = min(END, w.package.when + timedelta(days=rng.randint(3, 40)))
        text = obj.get("description", obj.get("name", ""))
        changes: dict[str, object] = {"description": f"{text} {rng.choice(REVISIONS)}"}
        if obj["type"] == "indicator":
            changes["confidence"] = min(100, int(obj["confidence"]) + 10)
        v2 = revised(obj, when, **changes)
        author = coalition.publisher(w.org).email
        second.append(Write(author, w.sharing, True, [v2]))
        if n < THIRD:
            v3 = revised(v2, when + timedelta(hours=rng.randint(2, 72)), confidence=95)
            third.append(Write(author, w.sharing, True, [v3]))
    touched = {o["id"] for _, o in chosen}
    drafts, pending = [], set()
    unrevised = [w for w in stable if w.package.report["id"] not in touched]
    for w in rng.sample(unrevised, DRAFT_REVISIONS):
        report = w.package.report
        proposal = revised(
            report,
            min(END, w.package.when + timedelta(days=5)),
            description=f"{report['description']} Draft: additions proposed by the staff.",
        )
        drafts.append(Write(coalition.drafter(w.org).email, w.sharing, False, [proposal]))
        pending.add(report["id"])
    return merge(second) + merge(third) + merge(drafts), pending


def revocations(rng: random.Random, done: list[Written], pending: set[str]) -> list[Revoke]:
    """Five indicators found to be false positives; a report or countermeasure withdrawn."""
    stable = [w for w in done if w.first_published]

    def pool(types: tuple[str, ...]) -> list[tuple[Written, StixDict]]:
        return [
            (w, o)
            for w in stable
            for o in w.package.objects
            if o["type"] in types and o["id"] not in pending
        ]

    chosen = rng.sample(pool(("indicator",)), 5) + rng.sample(
        pool(("report", "course-of-action")), 2
    )
    return [
        Revoke(coalition.publisher(w.org).email, obj["id"], REVOKED_AT + timedelta(hours=n))
        for n, (w, obj) in enumerate(chosen)
    ]
