"""Other organizations react to published packages: "we saw this too", opinions, notes,
their own countermeasures and corroborating indicators (which correlate across owners)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from accord.demo import coalition
from accord.demo.narratives import NOTES, OPINIONS
from accord.demo.revisions import END
from accord.demo.steps import Sharing, Write, Written
from accord.demo.stix import Ids, StixDict, relationship, sdo, stamp
from accord.identity.models import Role
from accord.organizations.models import OrgKind
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.rules import can_see

SIGHTINGS, OPINION_COUNT, NOTE_COUNT, DRAFT_NOTES, MEASURES, CORROBORATIONS = 10, 8, 8, 2, 4, 4
_NODE = "demo-node"  # the plan runs before the database: any one node id will do


@dataclass(frozen=True)
class _Shared:
    """What `can_see` reads of an object, for a planned package."""

    owner_org_id: str
    origin_node_id: str
    distribution: str
    sharing_group_id: str | None
    tlp: int
    published: bool


def visible(org_key: str, w: Written) -> bool:
    """Would a user of `org_key` see this published package? Asks the real access rule."""
    principal = Principal(
        kind=PrincipalKind.USER,
        id=org_key,
        label=org_key,
        local_node_id=_NODE,
        org_id=org_key,
        role=Role.ANALYST,
        node_id=_NODE,
        group_ids=coalition.groups_of(org_key),
    )
    shared = _Shared(
        w.org, _NODE, w.sharing.distribution.value, w.sharing.group, int(w.package.tlp), True
    )
    return can_see(principal, shared)


def plan(
    rng: random.Random, ids: Ids, done: list[Written], identity: Callable[[str], str]
) -> list[Write]:
    writers = [o.key for o in coalition.ORGS if o.kind is not OrgKind.OBSERVER]
    pairs = [(org, w) for w in done for org in writers if org != w.org and visible(org, w)]
    reacting = _Reacting(rng, ids, identity)
    writes: list[Write] = []
    for org, w in _pick(rng, pairs, "indicator", SIGHTINGS, per_package=2):
        writes.append(reacting.sighting(org, w))
    for n, (org, w) in enumerate(_pick(rng, pairs, "report", OPINION_COUNT)):
        writes.append(reacting.opinion(org, w, n))
    for n, (org, w) in enumerate(_pick(rng, pairs, "course-of-action", NOTE_COUNT)):
        writes.append(reacting.note(org, w, n, draft=n < DRAFT_NOTES))
    for org, w in _pick(rng, pairs, "attack-pattern", MEASURES):
        writes.append(reacting.own_measure(org, w))
    for org, w in _pick(rng, pairs, "indicator", CORROBORATIONS):
        writes.append(reacting.corroboration(org, w))
    return writes


def _pick(
    rng: random.Random,
    pairs: list[tuple[str, Written]],
    stix_type: str,
    count: int,
    per_package: int = 1,
) -> list[tuple[str, Written]]:
    """Up to `count` (reactor, package) pairs, on packages that contain `stix_type`."""
    fitting = [(org, w) for org, w in pairs if w.package.of_type(stix_type)]
    rng.shuffle(fitting)
    taken: Counter[str] = Counter()
    chosen = []
    for org, w in fitting:
        if taken[w.package.key] < per_package:
            taken[w.package.key] += 1
            chosen.append((org, w))
    return chosen[:count]


class _Reacting:
    def __init__(self, rng: random.Random, ids: Ids, identity: Callable[[str], str]) -> None:
        self.rng, self.ids, self.identity = rng, ids, identity

    def _write(self, org: str, w: Written, objects: list[StixDict], draft: bool = False) -> Write:
        if w.sharing.distribution is Distribution.GROUP:
            sharing = w.sharing  # a group's content stays in the group
        else:
            sharing = Sharing(Distribution.NODE)
        author = coalition.drafter(org) if draft else coalition.publisher(org)
        return Write(author.email, sharing, not draft, objects)

    def sighting(self, org: str, w: Written) -> Write:
        """ "We saw this too": a sighting of the package's first indicator."""
        indicator = w.package.of_type("indicator")[0]
        when = min(END, w.package.when + timedelta(days=self.rng.randint(1, 20)))
        first = when - timedelta(days=self.rng.randint(2, 9))
        obj = sdo(
            "sighting",
            self.ids.of("sighting", f"{org}:{indicator['id']}"),
            when,
            w.package.tlp,
            description=f"Seen by {coalition.org(org).name} on its own networks or sites.",
            sighting_of_ref=indicator["id"],
            where_sighted_refs=[self.identity(org)],
            count=self.rng.randint(1, 12),
            first_seen=stamp(first),
            last_seen=stamp(when - timedelta(hours=1)),
        )
        return self._write(org, w, [obj])

    def opinion(self, org: str, w: Written, n: int) -> Write:
        when = min(END, w.package.when + timedelta(days=self.rng.randint(1, 20)))
        value, explanation = OPINIONS[n % len(OPINIONS)]
        obj = sdo(
            "opinion",
            self.ids.of("opinion", f"{org}:{w.package.key}"),
            when,
            w.package.tlp,
            opinion=value,
            explanation=explanation,
            object_refs=[w.package.report["id"]],
        )
        return self._write(org, w, [obj])

    def note(self, org: str, w: Written, n: int, *, draft: bool) -> Write:
        when = min(END, w.package.when + timedelta(days=self.rng.randint(1, 20)))
        target = w.package.of_type("course-of-action")[0]
        obj = sdo(
            "note",
            self.ids.of("note", f"{org}:{target['id']}"),
            when,
            w.package.tlp,
            abstract=f"Comment from {coalition.org(org).name}",
            content=NOTES[n % len(NOTES)],
            object_refs=[target["id"], w.package.report["id"]],
        )
        return self._write(org, w, [obj], draft)

    def own_measure(self, org: str, w: Written) -> Write:
        when = min(END, w.package.when + timedelta(days=self.rng.randint(1, 20)))
        tactic = w.package.of_type("attack-pattern")[0]
        coa = sdo(
            "course-of-action",
            self.ids.of("course-of-action", f"{org}:{tactic['id']}"),
            when,
            w.package.tlp,
            name=f"{coalition.org(org).name}: own measure against {tactic['name'].lower()}",
            description="Our procedure, shared after reading this report; details on request.",
        )
        rel = relationship(
            self.ids,
            f"{org}:{tactic['id']}",
            when,
            w.package.tlp,
            coa["id"],
            "mitigates",
            tactic["id"],
        )
        return self._write(org, w, [coa, rel])

    def corroboration(self, org: str, w: Written) -> Write:
        """The same observable in another organization's indicator: a correlation."""
        when = min(END, w.package.when + timedelta(days=self.rng.randint(1, 20)))
        source = w.package.of_type("indicator")[-1]
        obj = sdo(
            "indicator",
            self.ids.of("indicator", f"{org}:{source['id']}"),
            when,
            w.package.tlp,
            name=f"Also seen by {coalition.org(org).name}",
            description="The same value appeared in our own logs.",
            indicator_types=["anomalous-activity"],
            pattern=source["pattern"],
            pattern_type="stix",
            valid_from=stamp(when),
            confidence=self.rng.choice((50, 60, 70)),
        )
        return self._write(org, w, [obj])
