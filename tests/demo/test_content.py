"""What one demo build stores: organizations, users, groups and ~500 object versions.

The build takes a few seconds (one Argon2 hash per user), so the tests of this module
share one build per database. They only read; no test here uses the `db` fixture.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from dataclasses import dataclass

import orjson
import pytest
from sqlalchemy import select

from accord.audit.service import verify
from accord.db import Database
from accord.demo import DEMO_PASSWORD, DemoInfo, build, coalition
from accord.identity.models import Role, User
from accord.identity.passwords import verify_password
from accord.identity.service import principal_for_user, user_for_api_key
from accord.intel.models import StixObject
from accord.intel.service import ObjectFilter, list_objects
from accord.organizations.models import Organization, OrgKind
from accord.organizations.service import ensure_local_node
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp
from tests.conftest import empty_database


@dataclass
class Built:
    db: Database
    info: DemoInfo
    rows: list[StixObject]


@pytest.fixture(scope="module")
def built(_database: Database) -> Built:
    empty_database(_database)
    with _database.write() as session:
        ensure_local_node(session, "test-node")
    info = build(_database)
    with _database.read() as session:
        rows = list(session.scalars(select(StixObject).order_by(StixObject.pk)))
    return Built(_database, info, rows)


def _principal(db: Database, email: str) -> Principal:
    with db.read() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        return principal_for_user(session, user, user.org.node_id)


def _visible_ids(db: Database, principal: Principal) -> set[str]:
    with db.read() as session:
        page = list_objects(session, principal, ObjectFilter(), limit=1000)
    assert not page.more
    return {row.stix_id for row in page.rows}


def test_organizations_members_partners_observer(built: Built) -> None:
    with built.db.read() as session:
        kinds = Counter(o.kind for o in session.scalars(select(Organization)))
    assert kinds[OrgKind.MEMBER] >= 6
    assert kinds[OrgKind.PARTNER] == 2
    assert kinds[OrgKind.OBSERVER] == 1


def test_users_of_every_role_share_the_printed_password(built: Built) -> None:
    with built.db.read() as session:
        users = list(session.scalars(select(User)))
    assert {u.role for u in users} == set(Role)
    assert all(u.email.endswith(".demo.invalid") for u in users)
    assert verify_password(users[0].password_hash, DEMO_PASSWORD)
    assert not verify_password(users[0].password_hash, DEMO_PASSWORD + "x")
    assert len(built.info.logins) == len(users) == len(coalition.USERS)


def test_every_printed_key_works_for_its_login(built: Built) -> None:
    with built.db.read() as session:
        for login in built.info.logins:
            found = user_for_api_key(session, login.key)
            assert found is not None
            assert found[0].email == login.email
            assert found[0].role.value == login.role


def test_three_sharing_groups_with_their_members(built: Built) -> None:
    with built.db.read() as session:
        groups = {
            g.name: {m.name for m in g.members} for g in session.scalars(select(SharingGroup))
        }
    assert len(groups) == 3
    for spec in coalition.GROUPS:
        assert groups[spec.name] == {coalition.org(k).name for k in spec.members}


def test_about_500_versions_in_every_distribution_tlp_and_state(built: Built) -> None:
    rows = built.rows
    assert 450 <= len(rows) <= 550
    assert built.info.versions == len(rows)
    published = {(r.distribution, r.tlp) for r in rows if r.published}
    assert published == set(itertools.product([d.value for d in Distribution], map(int, Tlp)))
    assert {r.distribution for r in rows if not r.published} >= {"org", "node", "group"}
    assert sum(r.revoked for r in rows) >= 5
    versions = Counter(r.stix_id for r in rows)
    assert sum(1 for n in versions.values() if n >= 2) >= 20
    assert any(n >= 3 for n in versions.values())
    # A published object whose newest version is a draft revision.
    assert any(r.is_latest_published and not r.is_latest for r in rows)


def test_every_expected_stix_type_is_present(built: Built) -> None:
    types = {r.type for r in built.rows}
    expected = {
        "report", "indicator", "incident", "threat-actor", "attack-pattern", "course-of-action",
        "note", "opinion", "sighting", "relationship", "location", "campaign", "intrusion-set",
        "malware", "tool", "vulnerability", "grouping", "observed-data",
        "ipv4-addr", "domain-name", "url", "file",
    }  # fmt: skip
    assert types == expected


def test_every_organization_but_the_observer_writes(built: Built) -> None:
    with built.db.read() as session:
        orgs = {o.id: o for o in session.scalars(select(Organization))}
    owners = {orgs[r.owner_org_id].kind for r in built.rows}
    writers = {orgs[r.owner_org_id].name for r in built.rows}
    assert OrgKind.OBSERVER not in owners
    assert writers == {o.name for o in orgs.values() if o.kind is not OrgKind.OBSERVER}


def test_observer_sees_some_but_less_than_a_member_of_every_group(built: Built) -> None:
    observer_org = next(o for o in coalition.ORGS if o.kind is OrgKind.OBSERVER)
    observer = coalition.users_of(observer_org.key)[0]
    member_org = next(o for o in coalition.ORGS if len(coalition.groups_of(o.key)) == 3)
    member = coalition.users_of(member_org.key, Role.OBSERVER, Role.ANALYST)[0]
    seen_by_observer = _visible_ids(built.db, _principal(built.db, observer.email))
    seen_by_member = _visible_ids(built.db, _principal(built.db, member.email))
    assert seen_by_observer
    assert seen_by_observer < seen_by_member
    by_id = {r.stix_id: r for r in built.rows}
    assert all(by_id[i].distribution != "group" for i in seen_by_observer)
    assert any(by_id[i].distribution == "group" for i in seen_by_member)


def test_correlation_same_value_in_two_organizations_indicators(built: Built) -> None:
    owners: dict[str, set[str]] = {}
    for r in built.rows:
        if r.type == "indicator":
            owners.setdefault(orjson.loads(r.stix)["pattern"], set()).add(r.owner_org_id)
    assert sum(1 for orgs in owners.values() if len(orgs) >= 2) >= 2


def test_audit_chain_verifies_after_the_build(built: Built) -> None:
    with built.db.read() as session:
        result = verify(session)
    assert result.ok, result.reason
    assert result.checked > len(built.rows)


def test_a_sample_of_60_objects_is_valid_stix(built: Built) -> None:
    from stix2validator import ValidationOptions, validate_instance

    by_type: dict[str, list[StixObject]] = {}
    for r in built.rows:
        by_type.setdefault(r.type, []).append(r)
    # Round-robin over types so each type is in the sample, then fill to 60.
    sample = [rows[n] for n in range(30) for rows in by_type.values() if n < len(rows)][:60]
    assert len(sample) == 60
    assert {r.type for r in sample} == set(by_type)
    options = ValidationOptions(version="2.1")
    for r in sample:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = validate_instance(orjson.loads(r.stix), options)
        assert result.is_valid, (r.stix_id, [str(e) for e in result.errors])
        assert not result.warnings, (r.stix_id, [str(w) for w in result.warnings])
