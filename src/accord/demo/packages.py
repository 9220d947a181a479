"""Turn one story into a package of STIX objects: a report and what it contains."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.demo import stix
from accord.demo.catalog import ACTORS, MALWARE, MEASURES, PLACES, TACTICS, TOOLS, VULNERABILITIES
from accord.demo.narratives import LABELS, Story
from accord.demo.stix import Ids, StixDict, sdo
from accord.sharing.tlp import Tlp

_WORDS = (
    "harbour", "relay", "convoy", "ledger", "signal", "ridge", "beacon", "mirror", "anchor",
    "summit", "orbit", "lantern", "falcon", "quarry", "meadow", "cipher", "tundra", "vector",
)  # fmt: skip
_RANGES = ("192.0.2", "198.51.100", "203.0.113")  # RFC 5737 documentation ranges
REPORT_TYPES = {"cuas": "attack-pattern", "ct": "threat-actor"}  # STIX report-type-ov
_FILES = ("planning_update.docm", "roster.xlsm", "exercise_brief.pdf.exe", "setup_stocklink.msi")


class Values:
    """Observable values from documentation ranges, never the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _fresh(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def ipv4(self) -> str:
        return self._fresh(lambda: f"{self.rng.choice(_RANGES)}.{self.rng.randint(1, 254)}")

    def domain(self) -> str:
        tld = self.rng.choice(("example", "invalid"))
        return self._fresh(lambda: f"{self.rng.choice(_WORDS)}-{self.rng.choice(_WORDS)}.{tld}")

    def url(self) -> str:
        path = self.rng.choice(("login", "owa/auth", "update/check", "files/brief"))
        return self._fresh(lambda: f"https://{self.domain()}/{path}")

    def sha256(self) -> str:
        return self._fresh(lambda: f"{self.rng.getrandbits(256):064x}")


@dataclass
class Package:
    """What one organization writes about one story: a report and the objects it contains."""

    key: str
    theme: str
    story: Story
    when: datetime
    tlp: Tlp
    objects: list[StixDict] = field(default_factory=list)

    @property
    def report(self) -> StixDict:
        return next(o for o in self.objects if o["type"] == "report")

    def of_type(self, stix_type: str) -> list[StixDict]:
        return [o for o in self.objects if o["type"] == stix_type]


class Composer:
    """Builds packages; every id comes from `ids` and every value from `values`."""

    def __init__(self, ids: Ids, values: Values, rng: random.Random) -> None:
        self.ids = ids
        self.values = values
        self.rng = rng
        self._rels = 0  # relationships in the current package, for their ids

    def package(self, key: str, theme: str, story: Story, when: datetime, tlp: Tlp) -> Package:
        pkg = Package(key, theme, story, when, tlp)
        self._rels = 0
        compose = {
            "incident": self._incident,
            "cuas": self._cuas,
            "infosec": self._infosec,
            "ct": self._ct,
            "cbrn": self._cbrn,
        }
        compose[theme](pkg)
        contained = [o["id"] for o in pkg.objects]
        pkg.objects.append(
            sdo(
                "report",
                self.ids.of("report", key),
                when,
                tlp,
                name=story.title,
                description=story.summary,
                report_types=[REPORT_TYPES.get(theme, "threat-report")],
                published=stix.stamp(when),
                labels=LABELS[theme],
                confidence=self.rng.choice((60, 70, 80, 85, 90)),
                object_refs=contained,
            )
        )
        return pkg

    # --- shared pieces ---------------------------------------------------------------------

    def _add(self, pkg: Package, stix_type: str, key: str, **props: object) -> StixDict:
        obj = sdo(stix_type, self.ids.of(stix_type, f"{pkg.key}:{key}"), pkg.when, pkg.tlp, **props)
        pkg.objects.append(obj)
        return obj

    def _rel(self, pkg: Package, source: StixDict, kind: str, target: StixDict) -> None:
        self._rels += 1
        pkg.objects.append(
            stix.relationship(
                self.ids,
                f"{pkg.key}:{self._rels}",
                pkg.when,
                pkg.tlp,
                source["id"],
                kind,
                target["id"],
            )
        )

    def _place(self, pkg: Package) -> StixDict:
        place = PLACES[pkg.story.place]
        return self._add(
            pkg,
            "location",
            "place",
            name=place.name,
            description=place.description,
            latitude=place.latitude,
            longitude=place.longitude,
        )

    def _tactic(self, pkg: Package) -> StixDict:
        text = TACTICS[pkg.story.tactic]
        return self._add(
            pkg, "attack-pattern", "tactic", name=text.name, description=text.description
        )

    def _measures(self, pkg: Package, target: StixDict) -> list[StixDict]:
        """The story's courses of action, each mitigating `target`."""
        found = []
        for key in pkg.story.measures:
            text = MEASURES[key]
            coa = self._add(
                pkg, "course-of-action", key, name=text.name, description=text.description
            )
            self._rel(pkg, coa, "mitigates", target)
            found.append(coa)
        return found

    def _actor(self, pkg: Package) -> StixDict | None:
        if not pkg.story.actor:
            return None
        actor = ACTORS[pkg.story.actor]
        return self._add(
            pkg,
            "threat-actor",
            "actor",
            name=actor.name,
            description=actor.description,
            threat_actor_types=list(actor.types),
            sophistication=actor.sophistication,
            resource_level=actor.resource_level,
            primary_motivation=actor.motivation,
        )

    def _tool(self, pkg: Package) -> StixDict:
        tool = TOOLS[pkg.story.extra]
        return self._add(
            pkg,
            "tool",
            "tool",
            name=tool.name,
            description=tool.description,
            tool_types=list(tool.types),
        )

    def _observables(self, pkg: Package, kinds: list[str], indicates: StixDict) -> None:
        """SCOs, one indicator per SCO, and observed-data that saw them."""
        scos: list[StixDict] = []
        for kind in kinds:
            if kind == "ipv4-addr":
                sco = stix.ipv4(self.values.ipv4(), pkg.tlp)
            elif kind == "domain-name":
                sco = stix.domain(self.values.domain(), pkg.tlp)
            elif kind == "url":
                sco = stix.url(self.values.url(), pkg.tlp)
            else:
                sco = stix.file(self.rng.choice(_FILES), self.values.sha256(), pkg.tlp)
            scos.append(sco)
        pkg.objects.extend(scos)
        for n, sco in enumerate(scos):
            ind = stix.indicator(
                self.ids,
                f"{pkg.key}:{n}",
                pkg.when,
                pkg.tlp,
                sco,
                f"{pkg.story.title[:60]}: {sco['type']} {n + 1}",
                "malicious-activity" if pkg.theme == "infosec" else "anomalous-activity",
                self.rng.choice((50, 60, 75, 85)),
            )
            pkg.objects.append(ind)
            self._rel(pkg, ind, "indicates", indicates)
        first = pkg.when - timedelta(days=self.rng.randint(1, 6))
        self._add(
            pkg,
            "observed-data",
            "observed",
            first_observed=stix.stamp(first),
            last_observed=stix.stamp(pkg.when - timedelta(hours=2)),
            number_observed=self.rng.randint(1, 40),
            object_refs=[s["id"] for s in scos],
        )

    # --- one composition per theme ---------------------------------------------------------

    def _incident(self, pkg: Package) -> None:
        place, tactic = self._place(pkg), self._tactic(pkg)
        incident = self._add(
            pkg, "incident", "incident", name=pkg.story.title, description=pkg.story.summary
        )
        self._rel(pkg, incident, "related-to", place)
        actor = self._actor(pkg)
        if actor is not None:
            self._rel(pkg, actor, "uses", tactic)
            self._rel(pkg, incident, "related-to", actor)
        if pkg.story.extra:
            used = self._tool(pkg)
            self._rel(pkg, tactic, "uses", used)
        self._measures(pkg, tactic)
        if pkg.story.tactic in ("vpn-exploit", "ddos-portal", "perimeter-probe"):
            kinds = ["ipv4-addr", "domain-name"]
            self._observables(pkg, kinds, actor or tactic)

    def _cuas(self, pkg: Package) -> None:
        self._place(pkg)
        tactic = self._tactic(pkg)
        drone = self._tool(pkg)
        self._rel(pkg, tactic, "uses", drone)
        actor = self._actor(pkg)
        if actor is not None:
            self._rel(pkg, actor, "uses", tactic)
        measures = self._measures(pkg, tactic)
        self._add(
            pkg,
            "note",
            "note",
            abstract="Lessons learned",
            content=f"{pkg.story.summary} Apply: {'; '.join(m['name'] for m in measures)}.",
            object_refs=[m["id"] for m in measures],
        )

    def _infosec(self, pkg: Package) -> None:
        tactic = self._tactic(pkg)
        software = MALWARE[pkg.story.extra]
        malware = self._add(
            pkg,
            "malware",
            "malware",
            name=software.name,
            description=software.description,
            malware_types=list(software.types),
            is_family=True,
        )
        target = tactic
        if pkg.story.vuln:
            text = VULNERABILITIES[pkg.story.vuln]
            vuln = self._add(
                pkg, "vulnerability", "vuln", name=text.name, description=text.description
            )
            self._rel(pkg, malware, "exploits", vuln)
            target = vuln  # the patch is the countermeasure
        actor = self._actor(pkg)
        if actor is not None:
            campaign = self._add(
                pkg,
                "campaign",
                "campaign",
                name=f"{ACTORS[pkg.story.actor].name} operation",
                description=pkg.story.summary,
                objective="Access to defence staff networks",
            )
            self._rel(pkg, campaign, "uses", malware)
            self._rel(pkg, campaign, "attributed-to", actor)
        self._measures(pkg, target)
        kinds = self.rng.sample(["domain-name", "url", "file", "ipv4-addr"], self.rng.randint(2, 3))
        self._observables(pkg, kinds, malware)

    def _ct(self, pkg: Package) -> None:
        place, tactic = self._place(pkg), self._tactic(pkg)
        actor = self._actor(pkg)
        if actor is not None:
            cluster = self._add(
                pkg,
                "intrusion-set",
                "cluster",
                name=ACTORS[pkg.story.actor].cluster,
                description=f"Activity analysts attribute to {actor['name']}.",
                goals=["Attack or intimidate the armed forces"],
            )
            campaign = self._add(
                pkg,
                "campaign",
                "campaign",
                name=f"{pkg.story.title[:60]} (campaign)",
                description=pkg.story.summary,
            )
            self._rel(pkg, cluster, "attributed-to", actor)
            self._rel(pkg, campaign, "attributed-to", cluster)
            self._rel(pkg, campaign, "uses", tactic)
            self._rel(pkg, campaign, "targets", place)
        else:
            self._rel(pkg, tactic, "targets", place)
        self._measures(pkg, tactic)

    def _cbrn(self, pkg: Package) -> None:
        place, tactic = self._place(pkg), self._tactic(pkg)
        scenario = [tactic["id"], place["id"]]
        if pkg.story.extra:
            used = self._tool(pkg)
            self._rel(pkg, tactic, "uses", used)
            scenario.append(used["id"])
        self._add(
            pkg,
            "grouping",
            "scenario",
            name=f"{pkg.story.title.split(':')[0]}: scenario injects",
            context="unspecified",
            object_refs=scenario,
        )
        measures = self._measures(pkg, tactic)
        self._add(
            pkg,
            "note",
            "note",
            abstract="After-action review",
            content=f"{pkg.story.summary} Observers from partner organizations attended.",
            object_refs=[m["id"] for m in measures],
        )
