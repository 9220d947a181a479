"""The report editor's form: rows of indicators and observables, read, checked and
turned into STIX objects for the one ingest path.

An indicator row is a type and a value (an address, a domain, a hash...); the STIX
pattern is written from them, so nobody has to know pattern syntax.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import FormData

from accord.intel import timestamps
from accord.intel.validation import UUID_RE
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from accord.web.i18n import N_

# STIX 2.1 section 2.9: the namespace of deterministic observable ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
MAX_ROWS = 200
MAX_NAME = 250
MAX_DESCRIPTION = 20_000

REPORT_TYPES: dict[str, str] = {
    "threat-report": N_("Threat report"),
    "attack-pattern": N_("New tactic (attack pattern)"),
    "campaign": N_("Campaign"),
    "threat-actor": N_("Threat actor"),
    "indicator": N_("Indicators"),
    "vulnerability": N_("Vulnerability"),
}
TLP_CHOICES: dict[str, Tlp] = {
    "clear": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
    "red": Tlp.RED,
}
TLP_CODES = {level: code for code, level in TLP_CHOICES.items()}
DISTRIBUTIONS: dict[str, str] = {
    Distribution.ORG.value: N_("My organization only"),
    Distribution.GROUP.value: N_("A sharing group"),
    Distribution.NODE.value: N_("Every organization on this node"),
    Distribution.FEDERATION.value: N_("This node and directly connected partner nodes"),
    Distribution.OPEN.value: N_("Every connected node"),
}


def _ipv4(value: str) -> str:
    return (
        str(ipaddress.ip_network(value, strict=False))
        if "/" in value
        else str(ipaddress.IPv4Address(value))
    )


def _ipv6(value: str) -> str:
    return (
        str(ipaddress.ip_network(value, strict=False))
        if "/" in value
        else str(ipaddress.IPv6Address(value))
    )


_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$"
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s]+$", re.IGNORECASE)


def _domain(value: str) -> str:
    value = value.lower().rstrip(".")
    if not _DOMAIN.match(value):
        raise ValueError(value)
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(value)
    return value


def _url(value: str) -> str:
    if not _URL.match(value) or len(value) > 2000:
        raise ValueError(value)
    return value


def _hex(length: int) -> Callable[[str], str]:
    pattern = re.compile(rf"^[0-9a-f]{{{length}}}$")

    def check(value: str) -> str:
        value = value.lower()
        if not pattern.match(value):
            raise ValueError(value)
        return value

    return check


@dataclass(frozen=True)
class ValueKind:
    code: str
    label: str  # a message id, translated where shown
    problem: str  # what is wrong with a bad value (a message id)
    sco_type: str
    hash_name: str | None  # for files: the hash algorithm, else the value property
    check: Callable[[str], str]

    @property
    def path(self) -> str:
        if self.hash_name is None:
            return "value"
        return f"hashes.'{self.hash_name}'" if "-" in self.hash_name else f"hashes.{self.hash_name}"

    def pattern(self, value: str) -> str:
        quoted = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"[{self.sco_type}:{self.path} = '{quoted}']"

    def observable(self, value: str) -> dict[str, Any]:
        props: dict[str, Any] = (
            {"value": value} if self.hash_name is None else {"hashes": {self.hash_name: value}}
        )
        canonical = json.dumps(props, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return {
            "type": self.sco_type,
            "spec_version": "2.1",
            "id": f"{self.sco_type}--{uuid.uuid5(SCO_NAMESPACE, canonical)}",
            **props,
        }


KINDS: dict[str, ValueKind] = {
    k.code: k
    for k in (
        ValueKind(
            "ipv4-addr",
            N_("IPv4 address"),
            N_("This is not an IPv4 address."),
            "ipv4-addr",
            None,
            _ipv4,
        ),
        ValueKind(
            "ipv6-addr",
            N_("IPv6 address"),
            N_("This is not an IPv6 address."),
            "ipv6-addr",
            None,
            _ipv6,
        ),
        ValueKind(
            "domain-name",
            N_("Domain name"),
            N_("This is not a domain name."),
            "domain-name",
            None,
            _domain,
        ),
        ValueKind(
            "url", N_("URL"), N_("A URL starts with a scheme, such as https://."), "url", None, _url
        ),
        ValueKind(
            "email-addr",
            N_("E-mail address"),
            N_("This is not an e-mail address."),
            "email-addr",
            None,
            _email,
        ),
        ValueKind(
            "file-sha256",
            N_("File hash (SHA-256)"),
            N_("A SHA-256 hash is 64 hexadecimal digits."),
            "file",
            "SHA-256",
            _hex(64),
        ),
        ValueKind(
            "file-sha1",
            N_("File hash (SHA-1)"),
            N_("A SHA-1 hash is 40 hexadecimal digits."),
            "file",
            "SHA-1",
            _hex(40),
        ),
        ValueKind(
            "file-md5",
            N_("File hash (MD5)"),
            N_("An MD5 hash is 32 hexadecimal digits."),
            "file",
            "MD5",
            _hex(32),
        ),
    )
}

_PATTERN = re.compile(
    r"^\[([a-z0-9-]+):(value|hashes\.'[A-Z0-9-]+'|hashes\.[A-Z0-9]+) = '((?:[^'\\]|\\.)*)'\]$"
)


def kind_of_pattern(pattern: str) -> tuple[ValueKind, str] | None:
    """Read back a pattern this form wrote: its kind and value (None for any other)."""
    m = _PATTERN.match(pattern)
    if m is None:
        return None
    sco_type, path, quoted = m.groups()
    for kind in KINDS.values():
        if kind.sco_type == sco_type and kind.path == path:
            return kind, quoted.replace("\\'", "'").replace("\\\\", "\\")
    return None


def kind_of_observable(obj: dict[str, Any]) -> tuple[ValueKind, str] | None:
    for kind in KINDS.values():
        if kind.sco_type != obj.get("type"):
            continue
        if kind.hash_name is None and isinstance(obj.get("value"), str):
            return kind, obj["value"]
        hashes = obj.get("hashes")
        if kind.hash_name and isinstance(hashes, dict) and kind.hash_name in hashes:
            return kind, str(hashes[kind.hash_name])
    return None


@dataclass
class Row:
    kind: str = "ipv4-addr"
    value: str = ""
    id: str | None = None  # the stored indicator this row edits
    error: str | None = None  # a message id


@dataclass
class ReportForm:
    name: str = ""
    description: str = ""
    report_type: str = "threat-report"
    labels: str = ""
    tlp: str = "amber"
    distribution: str = Distribution.ORG.value
    sharing_group: str = ""
    indicators: list[Row] = field(default_factory=list)
    observables: list[Row] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # field -> message id

    @classmethod
    def read(cls, form: FormData) -> ReportForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        def texts(name: str) -> list[str]:
            return [v.strip() if isinstance(v, str) else "" for v in form.getlist(name)]

        ind_ids = texts("ind_id")
        indicators = [
            Row(kind, value, ind_ids[i] if i < len(ind_ids) and ind_ids[i] else None)
            for i, (kind, value) in enumerate(
                zip(texts("ind_kind"), texts("ind_value"), strict=False)
            )
        ]
        observables = [
            Row(kind, value)
            for kind, value in zip(texts("obs_kind"), texts("obs_value"), strict=False)
        ]
        return cls(
            name=text("name"),
            description=text("description"),
            report_type=text("report_type") or "threat-report",
            labels=text("labels"),
            tlp=text("tlp") or "amber",
            distribution=text("distribution") or Distribution.ORG.value,
            sharing_group=text("sharing_group"),
            indicators=[r for r in indicators if r.value][:MAX_ROWS],
            observables=[r for r in observables if r.value][:MAX_ROWS],
        )

    @property
    def label_list(self) -> list[str]:
        return list(dict.fromkeys(p.strip() for p in self.labels.split(",") if p.strip()))

    @property
    def tlp_level(self) -> Tlp:
        return TLP_CHOICES.get(self.tlp, Tlp.AMBER)

    @property
    def group_id(self) -> str | None:
        return self.sharing_group or None if self.distribution == Distribution.GROUP else None

    def validate(self, group_ids: frozenset[str]) -> bool:
        if not self.name:
            self.errors["name"] = N_("Give the report a title.")
        elif len(self.name) > MAX_NAME:
            self.errors["name"] = N_("The title is too long (250 characters at most).")
        if len(self.description) > MAX_DESCRIPTION:
            self.errors["description"] = N_("The summary is too long (20,000 characters at most).")
        if self.report_type not in REPORT_TYPES:
            self.errors["report_type"] = N_("Choose a type from the list.")
        if self.tlp not in TLP_CHOICES:
            self.errors["tlp"] = N_("Choose a TLP level from the list.")
        if self.distribution not in DISTRIBUTIONS:
            self.errors["distribution"] = N_("Choose who may see the report.")
        elif self.distribution == Distribution.GROUP and (
            not UUID_RE.match(self.sharing_group) or self.sharing_group not in group_ids
        ):
            self.errors["sharing_group"] = N_("Choose one of your organization's sharing groups.")
        if any(len(label) > 100 for label in self.label_list):
            self.errors["labels"] = N_("Each label is 100 characters at most.")
        for row in [*self.indicators, *self.observables]:
            kind = KINDS.get(row.kind)
            if kind is None:
                row.error = N_("Choose a type from the list.")
                continue
            try:
                row.value = kind.check(row.value)
            except ValueError:
                row.error = kind.problem
        return not self.errors and not any(r.error for r in [*self.indicators, *self.observables])


@dataclass
class Stored:
    """What a new version needs of a stored object: its STIX and sharing columns."""

    obj: dict[str, Any]
    distribution: str
    sharing_group_id: str | None
    tlp: int


@dataclass
class Existing:
    """The report being edited and the indicators it references that this form wrote."""

    report: Stored
    indicators: dict[str, Stored]
    kept_refs: list[str]  # references the form does not edit, kept as they are


def _next_modified(previous: str, now: datetime) -> str:
    return timestamps.format_stix(max(now, timestamps.parse(previous) + timedelta(milliseconds=1)))


def _marking(tlp: Tlp) -> dict[str, Any]:
    return {"object_marking_refs": [tlp.marking_id]} if tlp is not Tlp.NONE else {}


def build_objects(
    form: ReportForm, owner_identity: str, existing: Existing | None, now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The report id and the objects to ingest: the report, and each indicator or
    observable that is new or changed. Call after `validate`."""
    stamp = timestamps.format_stix(now)
    tlp = form.tlp_level
    marking = _marking(tlp)
    objects: list[dict[str, Any]] = []
    refs: list[str] = []
    for row in form.indicators:
        kind = KINDS[row.kind]
        content = {
            "name": row.value,
            "indicator_types": ["malicious-activity"],
            "pattern": kind.pattern(row.value),
            "pattern_type": "stix",
        }
        old = existing.indicators.get(row.id) if existing and row.id else None
        if old is not None:
            same = all(old.obj.get(k) == v for k, v in content.items()) and (
                old.tlp == tlp
                and old.distribution == form.distribution
                and old.sharing_group_id == form.group_id
            )
            refs.append(old.obj["id"])
            if same:
                continue
            objects.append(
                {
                    **{
                        k: v
                        for k, v in old.obj.items()
                        if k in ("type", "spec_version", "id", "created", "valid_from")
                    },
                    "modified": _next_modified(old.obj["modified"], now),
                    **content,
                    **marking,
                }
            )
            continue
        new_id = f"indicator--{uuid.uuid4()}"
        refs.append(new_id)
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": new_id,
                "created": stamp,
                "modified": stamp,
                "valid_from": stamp,
                **content,
                **marking,
            }
        )
    for row in form.observables:
        sco = KINDS[row.kind].observable(row.value)
        if sco["id"] not in refs:
            refs.append(sco["id"])
            objects.append({**sco, **marking})
    if existing is not None:
        refs.extend(r for r in existing.kept_refs if r not in refs)
    if not refs:
        refs.append(owner_identity)  # a report with text alone: STIX needs one reference
    if existing is not None:
        old_report = existing.report.obj
        report_id = old_report["id"]
        header = {
            "created": old_report["created"],
            "modified": _next_modified(old_report["modified"], now),
            "published": old_report.get("published", stamp),
        }
    else:
        report_id = f"report--{uuid.uuid4()}"
        header = {"created": stamp, "modified": stamp, "published": stamp}
    report: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": report_id,
        **header,
        "name": form.name,
        "report_types": [form.report_type],
        "object_refs": refs,
        **marking,
    }
    if form.description:
        report["description"] = form.description
    if form.label_list:
        report["labels"] = form.label_list
    objects.insert(0, report)
    return report_id, objects
