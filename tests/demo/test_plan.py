"""The demo plan, without a database: deterministic, fictional, well-formed STIX."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import orjson
import stix2

from accord.demo import coalition
from accord.demo.plan import make_plan
from accord.demo.steps import Write
from accord.identity.models import Role
from accord.organizations.models import OrgKind

FAKE_ORG = "identity--0d5d9c1e-4f6b-4c1e-9a53-3b4f0e6c2a11"
DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
# ISO 3166-1 alpha-2 codes left for private use: AA, QM-QZ, XA-XZ, ZZ.
USER_ASSIGNED = re.compile(r"^(AA|Q[M-Z]|X[A-Z]|ZZ)$")


def _objects(seed: int = 2026) -> list[dict[str, Any]]:
    steps = make_plan(seed, lambda _key: FAKE_ORG)
    return [o for s in steps if isinstance(s, Write) for o in s.objects]


def test_same_seed_same_plan_other_seed_other_ids() -> None:
    first, again = _objects(), _objects()
    assert orjson.dumps(first) == orjson.dumps(again)
    other = _objects(seed=7)
    assert {o["id"] for o in first if "created" in o}.isdisjoint(
        o["id"] for o in other if "created" in o
    )


def test_coalition_is_invented() -> None:
    assert all(USER_ASSIGNED.match(o.country) for o in coalition.ORGS)
    assert all(u.email.endswith(".demo.invalid") for u in coalition.USERS)
    kinds = [o.kind for o in coalition.ORGS]
    assert kinds.count(OrgKind.MEMBER) >= 6
    assert kinds.count(OrgKind.PARTNER) == 2
    assert kinds.count(OrgKind.OBSERVER) == 1
    assert {u.role for u in coalition.USERS} == set(Role)
    observers = {o.key for o in coalition.ORGS if o.kind is OrgKind.OBSERVER}
    assert all(u.role is Role.OBSERVER for u in coalition.USERS if u.org in observers)


def test_observable_values_come_from_documentation_ranges() -> None:
    values = [o["value"] for o in _objects() if o["type"] in ("ipv4-addr", "domain-name", "url")]
    assert len(values) >= 15
    for value in values:
        if re.match(r"^\d+\.\d+\.\d+\.\d+$", value):
            assert any(ipaddress.ip_address(value) in net for net in DOC_NETS), value
        else:
            host = value.removeprefix("https://").split("/")[0]
            assert host.endswith((".example", ".invalid")), value
    patterns = [o["pattern"] for o in _objects() if o["type"] == "indicator"]
    for address in re.findall(r"\d+\.\d+\.\d+\.\d+", " ".join(patterns)):
        assert any(ipaddress.ip_address(address) in net for net in DOC_NETS), address


def test_observable_ids_are_the_stix_deterministic_ids() -> None:
    """STIX 2.1 section 2.9: the stix2 library computes the same UUIDv5 ids."""
    makers = {
        "ipv4-addr": stix2.IPv4Address,
        "domain-name": stix2.DomainName,
        "url": stix2.URL,
        "file": stix2.File,
    }
    scos = [o for o in _objects() if o["type"] in makers]
    assert {o["type"] for o in scos} == set(makers)
    for sco in scos:
        props = {k: v for k, v in sco.items() if k not in ("id", "object_marking_refs")}
        assert makers[sco["type"]](**props).id == sco["id"]


def test_domain_object_ids_are_version_4() -> None:
    """STIX 2.1 asks for UUIDv4 on domain objects; ours are derived from the seed."""
    sdos = [o for o in _objects() if "created" in o]
    assert sdos
    assert all(o["id"].split("--")[1][14] == "4" for o in sdos)
