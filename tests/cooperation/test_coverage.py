"""Releasing objects for public coverage over REST: who may, what may be, and the audit."""

# ruff: noqa: F811  (pytest fixtures imported from coverage_fixtures are parameters here)

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.cooperation.coverage_models import PublicRelease
from accord.db import Database
from accord.identity.models import Role
from accord.intel import timestamps
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.cooperation.coverage_fixtures import (  # noqa: F401  (fixtures)
    coverage_server,
    event,
    inbox,
    later,
    public_titles,
    release,
    rest,
    site,
    smtp_server,
)
from tests.factories import World

OPEN = Distribution.OPEN


def _releases(db: Database) -> list[PublicRelease]:
    with db.read() as session:
        return list(session.scalars(select(PublicRelease)))


def _audit_actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_release_shows_the_item_and_unrelease_takes_it_off(
    world: World, db: Database, rest: httpx.Client
) -> None:
    analyst = world.account(world.org("Defence Staff of Aldoria"))
    obj = event(name="Joint staff talks in Varnel", description="Talks on border security.")
    assert world.ingest(analyst, obj, distribution=OPEN).ok
    assert public_titles(rest) == []

    response = release(rest, analyst, obj["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["released"] == obj["id"]
    assert body["version"] == obj["modified"]

    listing = rest.get("/public/items").json()
    assert listing["total"] == 1
    (item,) = listing["items"]
    assert item["title"] == "Joint staff talks in Varnel"
    assert item["description"] == "Talks on border security."
    assert item["organization"] == "Defence Staff of Aldoria"
    assert item["event"]["place"] == "Varnel"
    assert item["event"]["country"] == "VA"
    assert item["event"]["event_type"] == "meeting"
    (entry,) = _releases(db)
    assert entry.released_by == analyst.user.id
    assert timestamps.parse(entry.version) == timestamps.parse(obj["modified"])

    assert release(rest, analyst, obj["id"]).status_code == 409  # once is enough
    gone = rest.delete(f"/objects/{obj['id']}/release", headers=analyst.headers)
    assert gone.status_code == 200
    assert public_titles(rest) == []
    assert _releases(db) == []
    again = rest.delete(f"/objects/{obj['id']}/release", headers=analyst.headers)
    assert again.status_code == 409
    actions = _audit_actions(db)
    assert actions.count("coverage.release") == 1
    assert actions.count("coverage.unrelease") == 1


@pytest.mark.parametrize("tlp", [t for t in Tlp if t is not Tlp.CLEAR])
def test_only_tlp_clear_can_be_released(
    world: World, db: Database, rest: httpx.Client, tlp: Tlp
) -> None:
    analyst = world.account(world.org())
    obj = event(tlp)
    assert world.ingest(analyst, obj, distribution=OPEN).ok
    response = release(rest, analyst, obj["id"])
    assert response.status_code == 422
    assert "TLP:CLEAR" in response.json()["detail"]
    assert _releases(db) == []
    assert "coverage.release" not in _audit_actions(db)


@pytest.mark.parametrize("distribution", [d for d in Distribution if d is not OPEN])
def test_only_open_distribution_can_be_released(
    world: World, db: Database, rest: httpx.Client, distribution: Distribution
) -> None:
    org = world.org()
    analyst = world.account(org)
    group = world.group(org, org, world.org()).id if distribution is Distribution.GROUP else None
    analyst = world.refresh(analyst)
    obj = event()
    assert world.ingest(analyst, obj, distribution=distribution, sharing_group=group).ok
    response = release(rest, analyst, obj["id"])
    assert response.status_code == 422
    assert "open distribution" in response.json()["detail"]
    assert _releases(db) == []


def test_drafts_and_revoked_objects_cannot_be_released(
    world: World, db: Database, rest: httpx.Client
) -> None:
    analyst = world.account(world.org())
    draft = event()
    assert world.ingest(analyst, draft, distribution=OPEN, published=False).ok
    response = release(rest, analyst, draft["id"])
    assert response.status_code == 422
    assert "draft" in response.json()["detail"]
    revoked = event()
    assert world.ingest(analyst, revoked, distribution=OPEN).ok
    assert rest.post(f"/objects/{revoked['id']}/revoke", headers=analyst.headers).is_success
    response = release(rest, analyst, revoked["id"])
    assert response.status_code == 422
    assert "revoked" in response.json()["detail"]
    # A newer draft of a published object: the newest version is what is released.
    published = event()
    assert world.ingest(analyst, published, distribution=OPEN).ok
    assert world.ingest(analyst, later(published, Tlp.CLEAR), distribution=OPEN, published=False).ok
    assert release(rest, analyst, published["id"]).status_code == 422
    assert _releases(db) == []


def test_only_publishing_roles_of_the_owner_may_release(
    world: World, db: Database, rest: httpx.Client
) -> None:
    owner = world.org()
    analyst = world.account(owner)
    obj = event()
    assert world.ingest(analyst, obj, distribution=OPEN).ok
    for role in (Role.CONTRIBUTOR, Role.OBSERVER):
        response = release(rest, world.account(owner, role), obj["id"])
        assert response.status_code == 403, role
    other = world.account(world.org())
    assert release(rest, other, obj["id"]).status_code == 403  # visible, not theirs
    assert rest.post(f"/objects/{obj['id']}/release").status_code == 401
    # An object the caller cannot see does not exist for them.
    hidden = event()
    assert world.ingest(analyst, hidden, distribution=Distribution.ORG).ok
    assert release(rest, other, hidden["id"]).status_code == 404
    assert release(rest, other, "x-accord-cooperation-event--nothing").status_code == 404
    assert _releases(db) == []
    assert release(rest, world.account(owner, Role.ORG_ADMIN), obj["id"]).status_code == 201
    response = rest.delete(f"/objects/{obj['id']}/release", headers=other.headers)
    assert response.status_code == 403
    assert len(_releases(db)) == 1


def test_public_listing_is_paged_newest_first(world: World, rest: httpx.Client) -> None:
    analyst = world.account(world.org())
    names = [f"Visit number {n}" for n in range(5)]
    for name in names:
        obj = event(name=name)
        assert world.ingest(analyst, obj, distribution=OPEN).ok
        assert release(rest, analyst, obj["id"]).status_code == 201
    first = rest.get("/public/items", params={"size": 2}).json()
    assert (first["total"], first["pages"]) == (5, 3)
    assert [i["title"] for i in first["items"]] == ["Visit number 4", "Visit number 3"]
    last = rest.get("/public/items", params={"size": 2, "page": 3}).json()
    assert [i["title"] for i in last["items"]] == ["Visit number 0"]
    assert rest.get("/public/items", params={"size": 0}).status_code == 422
