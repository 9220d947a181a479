"""What the demo writes, in order: a pure function of the seed.

Packages cover every distribution x TLP combination as published content, plus drafts
(two of which an analyst publishes later). Then other organizations react (sightings,
opinions, notes, their own countermeasures), authors revise some objects (several
versions, two of them draft revisions) and revoke a few.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from accord.demo import coalition, reactions, revisions
from accord.demo.field_stories import CBRN, CT, CUAS
from accord.demo.narratives import THEMES, Story
from accord.demo.packages import Composer, Values
from accord.demo.security_stories import INCIDENT, INFOSEC
from accord.demo.steps import Publish, Sharing, Step, Write, Written, merge
from accord.demo.stix import Ids
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TLPS = (Tlp.NONE, Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
# Drafts: (distribution, TLP, published later by an analyst of the organization).
DRAFTS = (
    (Distribution.ORG, Tlp.AMBER, False),
    (Distribution.NODE, Tlp.GREEN, True),
    (Distribution.FEDERATION, Tlp.AMBER_STRICT, False),
    (Distribution.OPEN, Tlp.CLEAR, True),
    (Distribution.GROUP, Tlp.RED, False),
    (Distribution.NODE, Tlp.NONE, False),
)
# Who writes on each theme, and the sharing group each theme uses.
AUTHORS: dict[str, tuple[str, ...]] = {
    "incident": ("ald-mod", "bor-dd", "cas-mod", "dra-gs", "vel-mod", "ald-gs"),
    "cuas": ("ald-gs", "bor-gs", "dra-gs", "ewg", "vel-mod", "ald-mod"),
    "infosec": ("bor-dd", "cas-mod", "ald-mod", "ewg", "bor-gs"),
    "ct": ("cas-mod", "bor-dd", "dra-gs", "slso", "ald-mod"),
    "cbrn": ("cas-mod", "ald-mod", "ewg", "slso", "bor-dd"),
}
STORIES = {"incident": INCIDENT, "cuas": CUAS, "infosec": INFOSEC, "ct": CT, "cbrn": CBRN}
THEME_GROUP = {
    "incident": "netsec",
    "cuas": "cuas",
    "infosec": "netsec",
    "ct": "cbrn",
    "cbrn": "cbrn",
}


def make_plan(seed: int, identity: Callable[[str], str]) -> list[Step]:
    """Every step of the demo; `identity` maps an organization key to its STIX identity id."""
    rng = random.Random(seed)
    ids = Ids(seed)
    written = _packages(Composer(ids, Values(rng), rng), rng)
    steps: list[Step] = []
    steps += merge(
        [Write(_author(w), w.sharing, w.first_published, list(w.package.objects)) for w in written]
    )
    steps += [
        Publish(coalition.publisher(w.org).email, w.package.report["id"])
        for w in written
        if w.published and not w.first_published
    ]
    done = [w for w in written if w.published]
    steps += merge(reactions.plan(rng, ids, done, identity))
    versions, pending = revisions.versions(rng, done)
    steps += versions
    steps += revisions.revocations(rng, done, pending)
    return steps


def _packages(composer: Composer, rng: random.Random) -> list[Written]:
    stories: dict[str, Iterator[Story]] = {t: iter(STORIES[t]) for t in THEMES}
    load: Counter[str] = Counter()
    combos: list[tuple[Distribution, Tlp, bool | None]] = [
        (d, t, None) for d, t in itertools.product(Distribution, TLPS)
    ]
    combos += DRAFTS
    span = (revisions.END - START) / (len(combos) + 1)
    written = []
    for n, (dist, tlp, later) in enumerate(combos):
        theme = THEMES[n % len(THEMES)]
        group = THEME_GROUP[theme] if dist is Distribution.GROUP else None
        eligible = [o for o in AUTHORS[theme] if group is None or group in coalition.groups_of(o)]
        org = min(eligible, key=lambda o: (load[o], rng.random()))  # spread the writing
        load[org] += 1
        when = START + span * n + timedelta(minutes=rng.randint(0, 600))
        pkg = composer.package(f"{theme}-{n}", theme, next(stories[theme]), when, tlp)
        first = later is None
        written.append(Written(pkg, org, Sharing(dist, group), first, first or bool(later)))
    return written


def _author(w: Written) -> str:
    spec = coalition.publisher(w.org) if w.first_published else coalition.drafter(w.org)
    return spec.email
