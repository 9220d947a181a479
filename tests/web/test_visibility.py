"""No page reveals an object its reader cannot see: 404 pages, never 403, no counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.intel.service import get_latest
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator, report
from tests.web.conftest import WebServer
from tests.web.support import Browser


class Coalition:
    def __init__(self, world: World) -> None:
        self.north = world.org("Northern Staff")
        self.east = world.org("Eastern Staff")
        self.west = world.org("Western Staff")
        self.group = world.group(self.north, self.east, name="Drone working group")
        self.ann = world.account(self.north)
        self.bob = world.refresh(world.account(self.east))
        self.cid = world.account(self.west)
        self.ann = world.refresh(self.ann)


@pytest.fixture
def coalition(world: World) -> Coalition:
    return Coalition(world)


@pytest.fixture
def reader(web: WebServer) -> Iterator[Browser]:
    browser = Browser(web.url)
    yield browser
    browser.close()


def _publish(world: World, who: Account, *objects: dict[str, object], **sharing: object) -> None:
    result = world.ingest(who, *objects, **sharing)  # type: ignore[arg-type]
    assert result.ok, result.results


def test_unseen_objects_answer_the_same_404_as_absent_ones(
    reader: Browser, world: World, coalition: Coalition
) -> None:
    secret = indicator("203.0.113.9", tlp=Tlp.GREEN)
    _publish(
        world,
        coalition.ann,
        secret,
        distribution=Distribution.GROUP,
        sharing_group=coalition.group.id,
    )
    reader.sign_in(coalition.cid.user.email)
    hidden = reader.get(f"/objects/{secret['id']}")
    absent = reader.get("/objects/indicator--00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(secret["id"], "") == absent.text.replace(
        "indicator--00000000-0000-4000-8000-000000000000", ""
    )
    assert "203.0.113.9" not in hidden.text
    for path in (f"/objects/{secret['id']}/publish", f"/objects/{secret['id']}/revoke"):
        assert reader.post(path).status_code == 404
    assert reader.get(f"/reports/{secret['id']}/edit").status_code == 404
    assert secret["id"] not in reader.get("/reports?type=").text


def test_group_members_see_it_others_do_not(
    reader: Browser, world: World, coalition: Coalition
) -> None:
    ind = indicator("198.51.100.77", tlp=Tlp.AMBER)
    rep = report([ind["id"]], tlp=Tlp.AMBER, name="Drone relay seen at the border")
    _publish(
        world,
        coalition.ann,
        ind,
        rep,
        distribution=Distribution.GROUP,
        sharing_group=coalition.group.id,
    )
    reader.sign_in(coalition.bob.user.email)
    page = reader.get(f"/objects/{rep['id']}")
    assert page.status_code == 200
    assert "Drone relay seen at the border" in page.text
    assert "198.51.100.77" in page.text  # the referenced indicator is listed
    assert "Drone working group" in page.text  # "visible to: organizations in group ..."
    assert "Drone relay seen at the border" in reader.get("/").text  # new for me
    reader.post("/logout")
    reader.sign_in(coalition.cid.user.email)
    assert "Drone relay seen at the border" not in reader.get("/reports").text
    assert reader.get(f"/objects/{rep['id']}").status_code == 404
    assert "Drone relay" not in reader.get("/").text


def test_counts_and_lists_leave_out_what_is_not_visible(
    reader: Browser, world: World, coalition: Coalition
) -> None:
    red = report([f"identity--{coalition.north.id}"], tlp=Tlp.RED, name="Red eyes-only assessment")
    draft = report([f"identity--{coalition.north.id}"], tlp=Tlp.GREEN, name="Unfinished draft")
    _publish(world, coalition.ann, red, distribution=Distribution.NODE)
    _publish(world, coalition.ann, draft, distribution=Distribution.NODE, published=False)
    reader.sign_in(coalition.bob.user.email)
    home = reader.get("/")
    assert "Red eyes-only" not in home.text
    assert "Unfinished draft" not in home.text
    assert "TLP:RED" not in home.text  # not even in the counts by TLP
    listing = reader.get("/reports")
    assert "Red eyes-only" not in listing.text
    assert "Unfinished draft" not in listing.text
    assert reader.get(f"/objects/{red['id']}").status_code == 404
    assert reader.get(f"/objects/{draft['id']}").status_code == 404
    reader.post("/logout")
    reader.sign_in(coalition.ann.user.email)  # the owner sees both
    mine = reader.get("/reports")
    assert "Red eyes-only" in mine.text
    assert "Unfinished draft" in mine.text
    assert "Unfinished draft" in reader.get("/").text  # among my drafts


def test_a_reference_one_cannot_see_is_not_listed(
    reader: Browser, world: World, coalition: Coalition
) -> None:
    private = indicator("192.0.2.200")
    _publish(world, coalition.ann, private, distribution=Distribution.ORG)
    shared = indicator("192.0.2.201")
    rep = report([private["id"], shared["id"]], name="Partly shared")
    _publish(world, coalition.ann, shared, rep, distribution=Distribution.NODE)
    reader.sign_in(coalition.bob.user.email)
    page = reader.get(f"/objects/{rep['id']}")
    assert page.status_code == 200
    assert "192.0.2.201" in page.text
    assert f"/objects/{private['id']}" not in page.text


def test_revoked_objects_are_marked(reader: Browser, world: World, coalition: Coalition) -> None:
    rep = report([f"identity--{coalition.north.id}"], name="Withdrawn assessment")
    _publish(world, coalition.ann, rep, distribution=Distribution.NODE)
    reader.sign_in(coalition.ann.user.email)
    reader.get(f"/objects/{rep['id']}")
    assert reader.post(f"/objects/{rep['id']}/revoke").status_code == 303
    with world.db.read() as session:
        assert get_latest(session, coalition.bob.principal, rep["id"]).revoked
    reader.post("/logout")
    reader.sign_in(coalition.bob.user.email)
    page = reader.get(f"/objects/{rep['id']}")
    assert "has been revoked" in page.text
    assert "/revoke" not in page.text  # only the owner may act on it
