"""What one demo build stores: organizations, users, groups and ~500 object versions.

The build takes a few seconds (one Argon2 hash per user), so the tests of this module
share one build per database. They only read; no test here uses the `db` fixture.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import orjson
import pytest
from babel import Locale
from sqlalchemy import select

from accord.audit.service import verify
from accord.db import Database
from accord.demo import DEMO_PASSWORD, DemoInfo, build, coalition
from accord.demo.cooperation import WORKGROUP
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


def _exchange(built: Built) -> list[StixObject]:
    """The exchange content: what the cooperation modules wrote (their own types, and what
    is shared within a channel's or an exercise's group) aside."""
    with built.db.read() as session:
        made = set(
            session.scalars(
                select(SharingGroup.id).where(
                    SharingGroup.name.like("Liaison: %") | SharingGroup.name.like("Exercise: %")
                )
            )
        )
    return [
        r
        for r in built.rows
        if not r.type.startswith("x-accord-") and r.sharing_group_id not in made
    ]


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
    # Besides the coalition's three, the cooperation modules make one per channel and
    # per exercise.
    made = {n for n in groups if n.startswith(("Liaison: ", "Exercise: "))}
    assert len(groups) - len(made) == 3
    for spec in coalition.GROUPS:
        assert groups[spec.name] == {coalition.org(k).name for k in spec.members}


def test_about_500_versions_in_every_distribution_tlp_and_state(built: Built) -> None:
    rows = built.rows
    assert 450 <= len(_exchange(built)) <= 550
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
    cooperation = {
        "x-accord-agenda-item", "x-accord-wg-session", "x-accord-channel", "x-accord-message",
        "x-accord-receipt", "x-accord-contact", "x-accord-consultation", "x-accord-exercise",
        "x-accord-cooperation-event",
    }  # fmt: skip
    expected = cooperation | {
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
    # Over the exchange content: the observer also observes exercises the member is not in.
    exchange = {r.stix_id for r in _exchange(built)}
    seen_by_observer = _visible_ids(built.db, _principal(built.db, observer.email)) & exchange
    seen_by_member = _visible_ids(built.db, _principal(built.db, member.email)) & exchange
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


# --- the cooperation modules -----------------------------------------------------------


def _current(built: Built, stix_type: str) -> list[dict[str, object]]:
    newest: dict[str, StixObject] = {}
    for r in built.rows:
        if r.type == stix_type and (r.stix_id not in newest or newest[r.stix_id].pk < r.pk):
            newest[r.stix_id] = r
    return [orjson.loads(r.stix) for r in newest.values()]


def test_working_group_agenda_in_every_state_with_support_and_a_decided_session(
    built: Built,
) -> None:
    from accord.cooperation import records, workgroup

    with built.db.read() as session:
        wg = workgroup.workgroup_org(session, WORKGROUP)
        member = _principal(built.db, coalition.publisher("bor-gs").email)
        items = records.list_items(session, member, wg.id)
        sessions = records.list_sessions(session, member, wg.id)
        initiative = records.initiative(session, member, wg.id)
    assert {i.status.value for i in items} == {
        "proposed", "accepted", "scheduled", "decided", "withdrawn",
    }  # fmt: skip
    assert sum(bool(i.support) for i in items) >= 4
    assert len({i.proposed_by for i in items}) == len(items)  # initiative is spread
    assert len(initiative) == len(items)
    past = next(s for s in sessions if s.decisions)
    assert past.minutes
    decided = {i.id for i in items if i.status.value == "decided"}
    assert {ref for d in past.decisions for ref in d.item_ids} == decided
    assert any(i.session_id and i.status.value == "scheduled" for i in items)


def test_liaison_channels_messages_receipts_contacts_and_a_consultation(built: Built) -> None:
    from accord.cooperation import liaison

    analyst = _principal(built.db, coalition.publisher("ald-gs").email)
    with built.db.read() as session:
        channels = liaison.list_channels(session, analyst)
        messages = liaison.list_messages(session, analyst, channels[0].id)
        consultations = liaison.list_consultations(session, analyst)
        contacts = liaison.list_contacts(session, analyst)
    assert len(messages) >= 3
    assert any(m.receipts for m in messages)
    assert any(m.unacknowledged for m in messages)
    assert any(m.in_reply_to for m in messages)
    assert consultations
    assert consultations[0].frequency in ("weekly", "monthly")
    assert len({c.org_id for c in contacts}) >= 4
    # Liaison stays between the channel's members.
    outsider = _principal(built.db, coalition.publisher("dra-gs").email)
    with built.db.read() as session:
        assert liaison.list_channels(session, outsider) == []


def test_exercises_with_contingents_observers_phases_and_lessons(built: Built) -> None:
    exercises = _current(built, "x-accord-exercise")
    assert len(exercises) == 3
    for ex in exercises:
        assert ex["contingents"]
        assert ex["observer_refs"]
        assert ex["phases"]
    lessons = [
        obj
        for t in ("note", "course-of-action")
        for obj in _current(built, t)
        if "lesson-learned" in obj.get("labels", ())  # type: ignore[operator]
    ]
    assert len(lessons) >= 3
    assert {lesson["type"] for lesson in lessons} == {"note", "course-of-action"}


def test_cooperation_events_spread_over_countries_and_months(built: Built) -> None:
    events = _current(built, "x-accord-cooperation-event")
    assert len(events) >= 12
    countries = {e["country"] for e in events}
    assert len(countries) >= 4
    real = set(Locale("en").territories) - {"ZZ", "QO"}
    assert not countries & real  # invented countries (user-assigned codes) only
    starts = sorted(str(e["start_time"]) for e in events)
    first, last = datetime.fromisoformat(starts[0]), datetime.fromisoformat(starts[-1])
    assert (last - first).days >= 450
    assert all("latitude" in e and "longitude" in e for e in events)
    assert sum(1 for e in events if "exercise_ref" in e) >= 2


def test_released_items_are_clear_and_open_and_on_the_news_page(built: Built) -> None:
    from accord.cooperation import coverage

    with built.db.read() as session:
        page = coverage.public_page(session)
    assert page.total >= 3
    by_id = {r.stix_id: r for r in built.rows}
    for item in page.items:
        row = by_id[item.stix_id]
        assert (row.tlp, row.distribution) == (int(Tlp.CLEAR), "open")
        assert item.event is not None
