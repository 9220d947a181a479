"""The one ingest path: ownership, versions, all-or-nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from accord.intel.ingest import Status
from accord.intel.models import StixObject
from accord.sharing.distribution import Distribution
from tests.factories import World, indicator, report


def test_bundle_is_stored_with_owner_and_extension(world: World) -> None:
    org = world.org()
    alice = world.account(org)
    ind = indicator()
    rep = report([ind["id"]])
    result = world.ingest(alice, ind, rep, distribution=Distribution.NODE)
    assert result.ok
    assert [r.status for r in result.results] == [Status.CREATED, Status.CREATED]
    with world.db.read() as session:
        rows = list(session.scalars(select(StixObject).order_by(StixObject.pk)))
    assert [r.stix_id for r in rows] == [ind["id"], rep["id"]]
    assert all(r.owner_org_id == org.id and r.distribution == "node" for r in rows)
    assert rows[0].date_added < rows[1].date_added
    assert f'"created_by_ref":"identity--{org.id}"' in rows[0].stix
    assert '"distribution":"node"' in rows[0].stix


def test_one_bad_object_stores_nothing(world: World) -> None:
    alice = world.account(world.org())
    good = indicator()
    bad = indicator(pattern="[ipv4-addr:value = ")
    result = world.ingest(alice, good, bad)
    assert not result.ok
    assert result.results[0].status is Status.NOT_STORED
    assert result.results[1].status is Status.REFUSED
    assert "pattern" in (result.results[1].reason or "")
    with world.db.read() as session:
        assert session.scalar(select(func.count()).select_from(StixObject)) == 0


def test_same_version_exists_newer_is_version_older_refused(world: World) -> None:
    alice = world.account(world.org())
    v1 = indicator(created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, v1).ok
    again = world.ingest(alice, dict(v1))
    assert again.results[0].status is Status.EXISTS
    v3 = dict(v1, modified="2026-03-01T00:00:00.000Z")
    assert world.ingest(alice, v3).results[0].status is Status.CREATED
    v2 = dict(v1, modified="2026-02-01T00:00:00.000Z")
    refused = world.ingest(alice, v2)
    assert refused.results[0].status is Status.REFUSED
    assert "older than the stored version" in (refused.results[0].reason or "")
    future = dict(v1, modified="2099-01-01T00:00:00.000Z")
    too_new = world.ingest(alice, future)
    assert too_new.results[0].status is Status.REFUSED
    assert "future" in (too_new.results[0].reason or "")
    with world.db.read() as session:
        rows = list(session.scalars(select(StixObject).order_by(StixObject.pk)))
    assert [(r.modified, r.is_latest) for r in rows] == [
        ("2026-01-01T00:00:00.000000Z", False),
        ("2026-03-01T00:00:00.000000Z", True),
    ]


def test_another_org_cannot_write_a_version(world: World) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    v1 = indicator(created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, v1, distribution=Distribution.NODE).ok
    v2 = dict(v1, modified="2026-02-01T00:00:00.000Z")
    result = world.ingest(bob, v2)
    assert result.results[0].status is Status.REFUSED
    assert "does not own" in (result.results[0].reason or "")


def test_two_organizations_hold_the_same_observable(world: World) -> None:
    alice = world.account(world.org())
    bob = world.account(world.org())
    ip = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": "198.51.100.3",
    }
    assert world.ingest(alice, dict(ip), distribution=Distribution.ORG).ok
    held = world.ingest(bob, dict(ip), report([ip["id"]]), distribution=Distribution.NODE)
    assert held.ok, [r.reason for r in held.results]
    assert world.ingest(bob, dict(ip)).results[0].status is Status.EXISTS
    with world.db.read() as session:
        rows = list(session.scalars(select(StixObject).where(StixObject.stix_id == ip["id"])))
    assert sorted(r.distribution for r in rows) == ["node", "org"]
    assert all(r.is_latest for r in rows)
