"""The audit log: every write is recorded with actor, time, action and target, and the
hash chain shows any altered, removed, reordered or forged entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Executable, delete, insert, select, update

from accord.audit.models import AuditEntry
from accord.audit.service import GENESIS, VerifyResult, append, append_many, entry_hash, verify
from accord.db import Database
from accord.db.base import utcnow
from accord.identity.models import Role, User
from accord.identity.service import (
    add_user,
    authenticate_password,
    issue_api_key,
    revoke_api_key,
)
from accord.intel import service as intel
from accord.intel.ingest import WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.organizations.models import Organization, OrgKind
from accord.organizations.service import add_organization
from accord.sharing.distribution import Distribution
from accord.sharing.service import add_group, add_member, remove_member
from accord.sharing.tlp import Tlp
from tests.factories import PASSWORD, Account, World, indicator, report

# --- helpers -----------------------------------------------------------------------------


def entries(db: Database) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def new_entries(db: Database, since: int) -> list[AuditEntry]:
    return [e for e in entries(db) if e.seq > since]


def head(db: Database) -> int:
    return max((e.seq for e in entries(db)), default=0)


def check(db: Database) -> VerifyResult:
    with db.read() as session:
        return verify(session)


def tamper(db: Database, *statements: Executable) -> None:
    """What an operator with database access could do, bypassing the services."""
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def row(db: Database, stix_id: str) -> StixObject:
    with db.read() as session:
        found = session.scalars(
            select(StixObject).where(StixObject.stix_id == stix_id).order_by(StixObject.pk.desc())
        ).first()
    assert found is not None
    return found


def actor(account: Account) -> str:
    return f"user:{account.user.email}"


# --- every write is audited --------------------------------------------------------------


def test_object_versions_are_audited(world: World) -> None:
    alice = world.account(world.org())
    start = head(world.db)
    before = utcnow()
    v1 = indicator(tlp=Tlp.AMBER)
    assert world.ingest(alice, v1, distribution=Distribution.NODE).ok
    v2 = dict(v1, name="Renamed", modified=_later(v1["modified"]))
    assert world.ingest(alice, v2, distribution=Distribution.NODE).ok
    after = utcnow()
    written = new_entries(world.db, start)
    assert [e.action for e in written] == ["object.write", "object.write"]
    latest = row(world.db, v1["id"])
    assert written[1].target == f"{v1['id']}@{latest.modified}"
    assert written[0].target.startswith(f"{v1['id']}@")
    assert written[0].target != written[1].target
    for entry in written:
        assert entry.actor == actor(alice)
        assert before <= entry.at <= after
        assert json.loads(entry.detail) == {
            "published": True,
            "distribution": "node",
            "tlp": int(Tlp.AMBER),
        }


def _later(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(milliseconds=5)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_publish_is_audited_for_the_container_and_what_it_publishes(world: World) -> None:
    alice = world.account(world.org())
    ind = indicator()
    rep = report([ind["id"]])
    assert world.ingest(alice, ind, rep, published=False).ok
    start = head(world.db)
    with world.db.write() as session:
        assert set(intel.publish(session, alice.principal, rep["id"])) == {ind["id"], rep["id"]}
    published = new_entries(world.db, start)
    assert {e.action for e in published} == {"object.publish"}
    assert {e.target for e in published} == {
        f"{ind['id']}@{row(world.db, ind['id']).modified}",
        f"{rep['id']}@{row(world.db, rep['id']).modified}",
    }
    assert {e.actor for e in published} == {actor(alice)}


def test_revoke_is_audited(world: World) -> None:
    alice = world.account(world.org())
    ind = indicator()
    assert world.ingest(alice, ind).ok
    start = head(world.db)
    with world.db.write() as session:
        intel.revoke(session, alice.principal, ind["id"])
    [entry] = new_entries(world.db, start)
    revoked = row(world.db, ind["id"])
    assert revoked.revoked
    assert (entry.action, entry.actor) == ("object.revoke", actor(alice))
    assert entry.target == f"{ind['id']}@{revoked.modified}"


def test_organization_and_user_creation_are_audited(world: World) -> None:
    home = world.org("Home Staff", country="HS")
    admin = world.account(home, Role.ADMIN)
    start = head(world.db)
    with world.db.write() as session:
        org = add_organization(session, admin.principal, "Eastern Staff", "es", OrgKind.PARTNER)
        user = add_user(session, admin.principal, "Eve@East.example", org, Role.OBSERVER).user
        org_id, user_id = org.id, user.id
    org_entry, user_entry = new_entries(world.db, start)
    assert (org_entry.actor, org_entry.action, org_entry.target) == (
        actor(admin),
        "org.create",
        org_id,
    )
    assert json.loads(org_entry.detail) == {
        "name": "Eastern Staff",
        "country": "ES",
        "kind": "partner",
    }
    assert (user_entry.actor, user_entry.action, user_entry.target) == (
        actor(admin),
        "user.create",
        user_id,
    )
    assert json.loads(user_entry.detail) == {
        "email": "eve@east.example",
        "org": org_id,
        "role": "observer",
    }


def test_group_creation_and_membership_changes_are_audited(world: World) -> None:
    owner, east, west = world.org(), world.org(), world.org()
    chief = world.account(owner, Role.ORG_ADMIN)
    start = head(world.db)
    with world.db.write() as session:
        east_row = session.get(Organization, east.id)
        west_row = session.get(Organization, west.id)
        assert east_row is not None
        assert west_row is not None
        group_id = add_group(session, chief.principal, "Drone working group", [east_row]).id
        add_member(session, chief.principal, group_id, west_row)
        remove_member(session, chief.principal, group_id, east_row)
    created, added, removed = new_entries(world.db, start)
    assert {created.actor, added.actor, removed.actor} == {actor(chief)}
    assert {created.target, added.target, removed.target} == {group_id}
    assert created.action == "group.create"
    assert json.loads(created.detail)["members"] == sorted([owner.id, east.id])
    assert (added.action, json.loads(added.detail)) == ("group.member.add", {"org": west.id})
    assert (removed.action, json.loads(removed.detail)) == ("group.member.remove", {"org": east.id})


def test_api_key_creation_and_revocation_are_audited(world: World) -> None:
    alice = world.account(world.org())
    start = head(world.db)
    with world.db.write() as session:
        new = issue_api_key(session, alice.principal, alice.user.id, "nightly export")
        key_id, secret = new.key.id, new.secret
    with world.db.write() as session:
        revoke_api_key(session, alice.principal, key_id)
    with world.db.write() as session:
        revoke_api_key(session, alice.principal, key_id)  # already revoked: nothing new
    created, revoked = new_entries(world.db, start)
    assert (created.action, created.actor, created.target) == (
        "apikey.create",
        actor(alice),
        key_id,
    )
    assert json.loads(created.detail) == {"user": alice.user.id, "prefix": secret[:12]}
    assert (revoked.action, revoked.actor, revoked.target) == (
        "apikey.revoke",
        actor(alice),
        key_id,
    )
    assert all(secret not in e.detail for e in entries(world.db))


def test_logins_and_failed_logins_are_audited(world: World) -> None:
    alice = world.account(world.org())
    email = alice.user.email
    start = head(world.db)
    guesses = ["wrong horse battery staple", "another guess entirely"]
    with world.db.write() as session:
        assert authenticate_password(session, email.upper(), PASSWORD) is not None
        assert authenticate_password(session, email, guesses[0]) is None
        assert authenticate_password(session, "nobody@example.org", guesses[1]) is None
    with world.db.write() as session:
        user = session.get(User, alice.user.id)
        assert user is not None
        user.is_active = False
    with world.db.write() as session:
        assert authenticate_password(session, email, PASSWORD) is None  # disabled
    ok, wrong, unknown, disabled = new_entries(world.db, start)
    assert (ok.action, ok.actor, ok.target) == ("login", f"user:{email}", alice.user.id)
    assert (wrong.action, wrong.actor, wrong.target) == (
        "login.failed",
        f"user:{email}",
        alice.user.id,
    )
    assert json.loads(wrong.detail) == {"why": "password"}
    assert (unknown.action, unknown.actor, unknown.target) == (
        "login.failed",
        "anonymous:nobody@example.org",
        "nobody@example.org",
    )
    assert json.loads(unknown.detail) == {"why": "unknown"}
    assert (disabled.action, disabled.target) == ("login.failed", alice.user.id)
    for entry in entries(world.db):  # passwords, right or wrong, are never written down
        stored = " ".join([entry.actor, entry.target, entry.detail])
        assert not any(p in stored for p in [PASSWORD, *guesses])


def test_long_and_odd_values_never_make_a_write_fail(world: World) -> None:
    # PostgreSQL refuses NUL and over-long values; an audit entry must not break a write.
    org = world.org()
    admin = world.account(org, Role.ADMIN)
    long_email = "a" * 230 + "@example.org"
    with world.db.write() as session:
        org_row = session.get(Organization, org.id)
        assert org_row is not None
        long_user = add_user(session, admin.principal, long_email, org_row, Role.ANALYST).user
    start = head(world.db)
    with world.db.write() as session:
        assert authenticate_password(session, "x" * 300 + "@example.org", "a guess") is None
        assert authenticate_password(session, long_email, "not the password") is None
        append(session, "operator\x00shell", "note", "t" * 400, {"text": "nul \x00 inside"})
    with world.db.write() as session:
        written = ingest(session, world.principal(long_user), [indicator()], WriteDefaults())
        assert written.ok
    unknown, wrong, note, write = new_entries(world.db, start)
    assert unknown.actor.startswith("anonymous:xxx")
    assert wrong.actor.startswith("user:aaa")
    assert write.actor == wrong.actor
    for entry in (unknown, wrong, write):
        assert len(entry.actor) == 200
        assert entry.actor.endswith("\u2026")
    assert (note.actor, note.target) == ("operator\ufffdshell", "t" * 249 + "\u2026")
    assert json.loads(note.detail) == {"text": "nul \x00 inside"}
    assert write.action == "object.write"
    assert check(world.db) == VerifyResult(True, head(world.db))


# --- the chain ---------------------------------------------------------------------------


def history(world: World) -> int:
    """A dozen or so audited writes of several kinds; returns the number of entries."""
    org = world.org()
    alice = world.account(org)
    world.account(org, Role.OBSERVER)
    assert world.ingest(alice, indicator(), indicator(), distribution=Distribution.NODE).ok
    with world.db.write() as session:
        authenticate_password(session, alice.user.email, "a wrong guess here")
    count = head(world.db)
    assert count >= 8
    return count


def test_each_entry_follows_the_one_before(world: World) -> None:
    count = history(world)
    chain = entries(world.db)
    assert [e.seq for e in chain] == list(range(1, count + 1))
    prev = GENESIS
    for entry in chain:
        assert entry.prev_hash == prev
        assert entry.hash == entry_hash(
            prev, entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.detail
        )
        prev = entry.hash
    assert check(world.db) == VerifyResult(True, count)


A = AuditEntry


def _altered_detail(n: int) -> tuple[int, str, list[Executable]]:
    k = n // 2
    return k, "was altered", [update(A).where(A.seq == k).values(detail='{"why":"nothing"}')]


def _altered_actor(n: int) -> tuple[int, str, list[Executable]]:
    k = n // 2
    return k, "was altered", [update(A).where(A.seq == k).values(actor="user:someone@else.example")]


def _deleted_middle(n: int) -> tuple[int, str, list[Executable]]:
    k = n // 2
    return k, f"entry {k} is missing", [delete(A).where(A.seq == k)]


def _deleted_first(_n: int) -> tuple[int, str, list[Executable]]:
    return 1, "entry 1 is missing", [delete(A).where(A.seq == 1)]


def _swapped(n: int) -> tuple[int, str, list[Executable]]:
    k = n // 2
    return (
        k,
        f"entry {k} does not follow entry {k - 1}",
        [
            update(A).where(A.seq == k).values(seq=-1),
            update(A).where(A.seq == k + 1).values(seq=k),
            update(A).where(A.seq == -1).values(seq=k + 1),
        ],
    )


def _forged(prev_hash: str, digest: str | None = None) -> Callable[[int], Any]:
    def make(n: int) -> tuple[int, str, list[Executable]]:
        at = utcnow()
        values = {"seq": n + 1, "at": at, "actor": "user:mallory@example.org"}
        values |= {"action": "org.create", "target": "forged", "detail": "{}"}
        good = entry_hash(
            prev_hash, n + 1, at, "user:mallory@example.org", "org.create", "forged", "{}"
        )
        values |= {"prev_hash": prev_hash, "hash": digest or good}
        return n + 1, "", [insert(A).values(**values)]

    return make


@pytest.mark.parametrize(
    "damage",
    [
        _altered_detail,
        _altered_actor,
        _deleted_middle,
        _deleted_first,
        _swapped,
        _forged("f" * 64),
    ],
    ids=[
        "altered-detail",
        "altered-actor",
        "deleted-middle",
        "deleted-first",
        "swapped-order",
        "forged-wrong-prev-hash",
    ],
)
def test_verify_finds_the_damaged_entry(
    world: World, damage: Callable[[int], tuple[int, str, list[Executable]]]
) -> None:
    count = history(world)
    seq, says, statements = damage(count)
    tamper(world.db, *statements)
    result = check(world.db)
    assert not result.ok
    assert result.first_bad_seq == seq
    assert says in result.reason
    assert result.checked == seq - 1


def test_a_forged_entry_with_a_made_up_hash_is_found(world: World) -> None:
    count = history(world)
    last = entries(world.db)[-1].hash
    tamper(world.db, *_forged(last, "0" * 64)(count)[2])
    result = check(world.db)
    assert (result.ok, result.first_bad_seq) == (False, count + 1)
    assert "was altered" in result.reason


def test_removing_the_newest_entries_needs_an_outside_copy_of_the_head(world: World) -> None:
    # The documented limit (THREAT_MODEL.md): the chain alone cannot show truncation.
    count = history(world)
    kept_elsewhere = entries(world.db)[-1].hash
    tamper(world.db, delete(A).where(A.seq == count))
    assert check(world.db) == VerifyResult(True, count - 1)
    assert entries(world.db)[-1].hash != kept_elsewhere


def test_a_rolled_back_savepoint_leaves_the_chain_whole(db: Database) -> None:
    with db.write() as session:
        append(session, "test", "kept.first", "t")
        savepoint = session.begin_nested()
        append(session, "test", "rolled.back", "t")
        savepoint.rollback()
        append(session, "test", "kept.second", "t")
    assert [(e.seq, e.action) for e in entries(db)] == [(1, "kept.first"), (2, "kept.second")]
    assert check(db) == VerifyResult(True, 2)


# --- property: random histories stay whole; any one damaged entry is named --------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
DETAIL = st.none() | st.dictionaries(
    TEXT,
    st.one_of(
        TEXT, st.integers(-(2**53), 2**53), st.booleans(), st.none(), st.lists(TEXT, max_size=3)
    ),
    max_size=4,
)
ENTRY = st.tuples(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=260),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=80),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    DETAIL,
)
FIELDS = ["detail", "actor", "action", "target", "at", "prev_hash", "hash", "delete"]


def _other(value: str) -> str:
    return "x" if value != "x" else "y"


def _corrupt(db: Database, entry: AuditEntry, field: str) -> None:
    where = A.seq == entry.seq
    if field == "delete":
        tamper(db, delete(A).where(where))
    elif field == "at":
        tamper(db, update(A).where(where).values(at=entry.at + timedelta(seconds=1)))
    elif field in ("prev_hash", "hash"):
        value = getattr(entry, field)
        tamper(
            db, update(A).where(where).values({field: "f" * 64 if value != "f" * 64 else "e" * 64})
        )
    else:
        tamper(db, update(A).where(where).values({field: _other(getattr(entry, field))}))


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.lists(st.lists(ENTRY, min_size=1, max_size=5), min_size=1, max_size=5),
    data=st.data(),
)
def test_random_histories_verify_and_any_damaged_entry_is_named(
    db: Database,
    batches: list[list[tuple[str, str, str, dict[str, Any] | None]]],
    data: st.DataObject,
) -> None:
    tamper(db, delete(A))
    for batch in batches:
        with db.write() as session:
            append_many(session, batch)
    given_entries = [e for batch in batches for e in batch]
    stored = entries(db)
    assert check(db) == VerifyResult(True, len(given_entries))
    for (who, what, on, detail), entry in zip(given_entries, stored, strict=True):
        assert json.loads(entry.detail) == (detail or {})
        if "\x00" not in who + what + on and len(who) <= 200 and len(what) <= 64 and len(on) <= 250:
            assert (entry.actor, entry.action, entry.target) == (who, what, on)
    victim = data.draw(st.sampled_from(stored))
    field = data.draw(st.sampled_from(FIELDS))
    if field == "delete" and victim.seq == len(stored):
        field = "detail"  # removing the newest entry is truncation: see the test above
    _corrupt(db, victim, field)
    result = check(db)
    assert not result.ok
    assert result.first_bad_seq == victim.seq
