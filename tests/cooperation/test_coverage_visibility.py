"""Nothing but released, published, unrevoked TLP:CLEAR + open content ever reaches the
public: not the news page, an item page, the Atom feed, the REST listing or a digest.

Every TLP and every distribution is tried, both as a later version of a released item
(the check is made at read time, on the current version) and as releases forced into
the table behind the service's back (the read never trusts the release alone)."""

# ruff: noqa: F811  (pytest fixtures imported from coverage_fixtures are parameters here)

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from xml.etree import ElementTree as ET

import httpx
import pytest
from sqlalchemy import select

from accord.cooperation.coverage_models import DigestSubscriber, Frequency, PublicRelease
from accord.cooperation.digest import Links, Mailer, send_digests
from accord.db import Database
from accord.db.base import utcnow
from accord.intel.models import StixObject
from accord.intel.service import revoke
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.cooperation.coverage_fixtures import (  # noqa: F401  (fixtures)
    Inbox,
    coverage_server,
    event,
    inbox,
    later,
    links,
    mailer,
    release,
    rest,
    site,
    smtp_server,
)
from tests.factories import Account, World

ATOM = "{http://www.w3.org/2005/Atom}"
NARROWER = [
    (tlp, dist)
    for tlp, dist in itertools.product(Tlp, Distribution)
    if (tlp, dist) != (Tlp.CLEAR, Distribution.OPEN)
]


@dataclass
class Publisher:
    account: Account
    group_id: str


@pytest.fixture
def publisher(world: World) -> Publisher:
    org = world.org("Defence Staff of Aldoria")
    account = world.account(org)
    group = world.group(org, org, world.org())
    return Publisher(world.refresh(account), group.id)


def _subscriber(db: Database) -> None:
    """A confirmed subscriber who has had nothing yet."""
    with db.write() as session:
        session.add(
            DigestSubscriber(
                email="reader@example.org",
                frequency=Frequency.DAILY.value,
                language="en",
                created_at=utcnow() - timedelta(days=1),
                confirmed_at=utcnow() - timedelta(days=1),
            )
        )


def _release_id(db: Database, stix_id: str) -> str:
    with db.read() as session:
        found = session.scalar(select(PublicRelease.id).where(PublicRelease.stix_id == stix_id))
    assert found is not None
    return found


def _feed_titles(site: str) -> list[str]:
    response = httpx.get(f"{site}/news/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314  (the feed under test)
    return [entry.findtext(f"{ATOM}title") or "" for entry in root.iter(f"{ATOM}entry")]


def _digest_text(db: Database, mailer: Mailer, links: Links, inbox: Inbox) -> str:
    send_digests(db, mailer, links)
    return "\n".join(str(m.get_body(("plain",)).get_content()) for m in inbox.take())  # type: ignore[union-attr]


@dataclass(frozen=True)
class Seen:
    api: bool
    page: bool
    item: bool
    feed: bool
    digest: bool


def _where(
    site: str, db: Database, mailer: Mailer, links: Links, inbox: Inbox, title: str, release_id: str
) -> Seen:
    api_titles = [i["title"] for i in httpx.get(f"{site}/api/v1/public/items").json()["items"]]
    page = httpx.get(f"{site}/news")
    assert page.status_code == 200
    item = httpx.get(f"{site}/news/{release_id}")
    assert item.status_code in (200, 404)
    return Seen(
        api=title in api_titles,
        page=title in page.text,
        item=item.status_code == 200 and title in item.text,
        feed=title in _feed_titles(site),
        digest=title in _digest_text(db, mailer, links, inbox),
    )


EVERYWHERE = Seen(True, True, True, True, True)
NOWHERE = Seen(False, False, False, False, False)


@pytest.mark.parametrize(("tlp", "distribution"), NARROWER, ids=str)
def test_a_narrower_later_version_takes_the_item_off_at_once(
    world: World,
    db: Database,
    rest: httpx.Client,
    site: str,
    mailer: Mailer,
    links: Links,
    inbox: Inbox,
    publisher: Publisher,
    tlp: Tlp,
    distribution: Distribution,
) -> None:
    author = publisher.account
    obj = event(name="Border commanders meet in Varnel")
    assert world.ingest(author, obj, distribution=Distribution.OPEN).ok
    assert release(rest, author, obj["id"]).status_code == 201
    release_id = _release_id(db, obj["id"])
    title = "Border commanders meet in Varnel (updated)"
    # Control: a CLEAR + open update shows; then the narrower one hides it everywhere.
    assert world.ingest(
        author, later(obj, Tlp.CLEAR, name=title), distribution=Distribution.OPEN
    ).ok
    _subscriber(db)
    assert _where(site, db, mailer, links, inbox, title, release_id) == EVERYWHERE
    with db.write() as session:  # the subscriber has not had it yet
        session.execute(
            DigestSubscriber.__table__.update().values(seen_until=None)  # type: ignore[attr-defined]
        )
    group = publisher.group_id if distribution is Distribution.GROUP else None
    narrower = later(obj, tlp, name=title)
    assert world.ingest(author, narrower, distribution=distribution, sharing_group=group).ok
    assert _where(site, db, mailer, links, inbox, title, release_id) == NOWHERE


def test_revocation_takes_the_item_off_at_once(
    world: World,
    db: Database,
    rest: httpx.Client,
    site: str,
    mailer: Mailer,
    links: Links,
    inbox: Inbox,
    publisher: Publisher,
) -> None:
    author = publisher.account
    obj = event(name="Naval visit to Port Elmar")
    assert world.ingest(author, obj, distribution=Distribution.OPEN).ok
    assert release(rest, author, obj["id"]).status_code == 201
    release_id = _release_id(db, obj["id"])
    assert rest.post(f"/objects/{obj['id']}/revoke", headers=author.headers).is_success
    _subscriber(db)
    assert _where(site, db, mailer, links, inbox, obj["name"], release_id) == NOWHERE


def test_unreleased_clear_open_items_stay_off(
    world: World,
    db: Database,
    site: str,
    mailer: Mailer,
    links: Links,
    inbox: Inbox,
    publisher: Publisher,
) -> None:
    obj = event(name="Conference on crisis response")
    assert world.ingest(publisher.account, obj, distribution=Distribution.OPEN).ok
    _subscriber(db)
    seen = _where(site, db, mailer, links, inbox, obj["name"], "no-such-release")
    assert seen == NOWHERE


def test_forced_releases_of_every_sharing_show_only_clear_open(
    world: World,
    db: Database,
    site: str,
    mailer: Mailer,
    links: Links,
    inbox: Inbox,
    publisher: Publisher,
) -> None:
    """Every TLP x distribution x draft/published x revoked, each with a release row
    written straight into the table: the public sees exactly the allowed ones."""
    author = publisher.account
    expected: dict[str, bool] = {}
    for n, (tlp, dist, published, revoked) in enumerate(
        itertools.product(Tlp, Distribution, (True, False), (False, True))
    ):
        name = f"Item {n}: {tlp.label} {dist.value} published={published} revoked={revoked}"
        obj = event(tlp, name=name)
        group = publisher.group_id if dist is Distribution.GROUP else None
        assert world.ingest(
            author, obj, distribution=dist, sharing_group=group, published=published
        ).ok
        if revoked:
            with db.write() as session:
                revoke(session, author.principal, obj["id"])
        expected[name] = (tlp, dist, published, revoked) == (
            Tlp.CLEAR,
            Distribution.OPEN,
            True,
            False,
        )
    with db.write() as session:
        rows = session.scalars(select(StixObject).where(StixObject.is_latest.is_(True))).all()
        start = utcnow()
        for n, row in enumerate(rows):
            session.add(
                PublicRelease(
                    stix_id=row.stix_id,
                    owner_org_id=row.owner_org_id,
                    version=row.modified,
                    released_by=author.user.id,
                    released_at=start + timedelta(microseconds=n),
                )
            )
    _subscriber(db)
    with db.read() as session:
        release_ids = dict(
            session.execute(
                select(StixObject.stix, PublicRelease.id)
                .join(PublicRelease, PublicRelease.stix_id == StixObject.stix_id)
                .where(StixObject.is_latest.is_(True))
            ).all()
        )
    assert sum(expected.values()) == 1
    api_titles = {
        i["title"] for i in httpx.get(f"{site}/api/v1/public/items?size=100").json()["items"]
    }
    page = httpx.get(f"{site}/news").text
    feed = set(_feed_titles(site))
    digest = _digest_text(db, mailer, links, inbox)
    for stix, release_id in release_ids.items():
        name = next(n for n in expected if f'"{n}"' in stix)
        shown = expected[name]
        assert (name in api_titles) is shown, name
        assert (name in page) is shown, name
        assert (name in feed) is shown, name
        assert (name in digest) is shown, name
        status = httpx.get(f"{site}/news/{release_id}").status_code
        assert status == (200 if shown else 404), name
