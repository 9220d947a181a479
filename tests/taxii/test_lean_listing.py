"""The objects listing's lean read (`query_texts`: pk and stored JSON only) serves exactly
what the full read (`query`) does, page for page, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import and_, func, select

from accord.intel import timestamps
from accord.intel.models import StixObject
from accord.sharing.distribution import Distribution
from accord.sharing.rules import exists_for, visible_to
from accord.sharing.tlp import Tlp
from accord.taxii import service
from accord.taxii.models import Collection
from accord.taxii.service import Match
from tests.factories import Account, World, indicator, stamp
from tests.taxii.support import Node, attack_pattern, new_version, objects_path

Pages = list[tuple[list[tuple[int, str]], bool, str | None, Any]]
Scene = tuple[World, Account, Account, str, str]


def _pages(world: World, account: Account, collection_id: str, match: Match, lean: bool) -> Pages:
    """Every page of a listing, 2 rows at a time: (pk, JSON) rows, more, next, added.

    The lean read gives the stored JSON as UTF-8 bytes, the full read as text."""
    out: Pages = []
    after: str | None = None
    for _ in range(50):
        with world.db.read() as session:
            collection = service.readable(session, account.principal, collection_id)
            if lean:
                blobs = service.query_texts(session, account.principal, collection, match, 2, after)
                assert all(isinstance(stix, bytes) for _pk, stix in blobs.rows)
                rows = [(pk, stix.decode()) for pk, stix in blobs.rows]
                page: service.Page[Any] = blobs
            else:
                page = service.query(session, account.principal, collection, match, 2, after)
                rows = [(row.pk, row.stix) for row in page.rows]
        out.append((rows, page.more, page.next, page.added))
        if not page.more:
            return out
        after = page.next
    raise AssertionError("the listing did not end")


@pytest.fixture
def scene(node: Node) -> Scene:
    """Two organizations' objects: drafts, versions, a group, TLP:RED; a view of one type;
    and the second version's timestamp."""
    world = node.world
    ann_org, bob_org = world.org(), world.org()
    ann, bob = world.account(ann_org), world.account(bob_org)
    group = world.group(ann_org, bob_org)
    ann, bob = world.refresh(ann), world.refresh(bob)
    first = attack_pattern()
    assert world.ingest(ann, first, distribution=Distribution.NODE).ok
    later = stamp(datetime.now(UTC))
    assert world.ingest(ann, new_version(first, later)).ok
    assert world.ingest(ann, indicator(), distribution=Distribution.NODE).ok
    assert world.ingest(ann, indicator(), distribution=Distribution.NODE, published=False).ok
    assert world.ingest(
        ann, indicator(), distribution=Distribution.GROUP, sharing_group=group.id
    ).ok
    assert world.ingest(ann, indicator(tlp=Tlp.RED), distribution=Distribution.NODE).ok
    assert world.ingest(bob, *(indicator() for _ in range(3)), distribution=Distribution.NODE).ok
    with world.db.write() as session:
        view = service.create_collection(session, "test", "patterns", types=["attack-pattern"])
    return world, ann, bob, view.id, timestamps.normalize(timestamps.parse(later))


@pytest.mark.parametrize(
    "versions", [["last"], ["all"], ["first"], ["first", "last"], ["exact"], ["exact", "first"]]
)
def test_lean_pages_equal_full_pages(node: Node, scene: Scene, versions: list[str]) -> None:
    world, ann, bob, view_id, later = scene
    for account in (ann, bob):
        for collection_id in (node.default_id, view_id):
            match = Match(versions=[later if v == "exact" else v for v in versions])
            lean = _pages(world, account, collection_id, match, lean=True)
            full = _pages(world, account, collection_id, match, lean=False)
            assert lean == full
            # The date_added bounds are those of the page's own first and last rows.
            with world.db.read() as session:
                for rows, _more, _next, added in lean:
                    pks = [pk for pk, _ in rows]
                    dates = session.scalars(
                        select(StixObject.date_added).where(StixObject.pk.in_(pks))
                    ).all()
                    assert added == ((min(dates), max(dates)) if pks else None)


def test_an_empty_listing_has_no_bounds(node: Node) -> None:
    world = node.world
    nobody = world.account(world.org())
    pages = _pages(world, nobody, node.default_id, Match(), lean=True)
    assert pages == [([], False, None, None)]


def test_the_envelope_carries_the_stored_json_byte_for_byte(node: Node, scene: Scene) -> None:
    world, ann, *_ = scene
    response = node.get(ann, objects_path(node.default_id), {"limit": "3"})
    assert response.status_code == 200, response.text
    envelope = orjson.loads(response.content)
    served = [obj["id"] for obj in envelope["objects"]]
    assert len(served) == 3
    assert envelope["more"] is True
    with world.db.read() as session:
        collection = session.get(Collection, node.default_id)
        assert collection is not None
        page = service.query(session, ann.principal, collection, Match(), 3)
    texts = [row.stix for row in page.rows]
    assert [orjson.loads(text)["id"] for text in texts] == served
    assert response.content.decode() == (
        '{"more":true,"next":"' + str(page.next) + '","objects":[' + ",".join(texts) + "]}"
    )
    assert page.added is not None
    first, last = (timestamps.format_added(moment) for moment in page.added)
    assert response.headers["X-TAXII-Date-Added-First"] == first
    assert response.headers["X-TAXII-Date-Added-Last"] == last
    assert first < last


def test_first_versions_are_the_oldest_listed_version_of_each_object(
    node: Node, scene: Scene
) -> None:
    """`first` probes per row; the oracle is the minimum pk per object over the table."""
    world, ann, bob, view_id, _later = scene
    o = StixObject
    seen: dict[tuple[bool, bool], int] = {}
    for account in (ann, bob):
        for collection_id in (node.default_id, view_id):
            with world.db.read() as session:
                collection = service.readable(session, account.principal, collection_id)
                base = and_(visible_to(account.principal), service.in_view(collection))
                oldest = select(func.min(o.pk)).where(base).group_by(o.stix_id)
                listed = select(o.pk).where(o.pk.in_(oldest), exists_for(account.principal))
                expected = sorted(session.scalars(listed))
            pages = _pages(world, account, collection_id, Match(versions=["first"]), lean=True)
            assert [pk for rows, *_ in pages for pk, _ in rows] == expected
            seen[account is ann, collection_id == view_id] = len(expected)
    # Bob, who reads ann's pattern as its organization-only newest version, sees none.
    assert seen == {(True, False): 8, (True, True): 1, (False, False): 5, (False, True): 0}


def test_text_beyond_ascii_is_served_as_stored(node: Node) -> None:
    """The lean read hands the stored UTF-8 bytes through: Cyrillic, CJK, an emoji and
    escapes survive byte for byte, one object or several per page."""
    world = node.world
    org = world.org()
    ann = world.account(org)
    names = ["Подход беспилотника", "无人机低空接近", 'emoji \U0001f681 "quoted" \\ back']
    for name in names:
        assert world.ingest(ann, attack_pattern(name), distribution=Distribution.NODE).ok
    for limit in ("1", "3"):
        response = node.get(ann, objects_path(node.default_id), {"limit": limit})
        assert response.status_code == 200, response.text
        served = orjson.loads(response.content)["objects"]
        with world.db.read() as session:
            collection = session.get(Collection, node.default_id)
            assert collection is not None
            page = service.query(session, ann.principal, collection, Match(), int(limit))
        texts = [row.stix for row in page.rows]
        assert [obj["name"] for obj in served] == names[: int(limit)]
        assert response.content.decode().endswith('"objects":[' + ",".join(texts) + "]}")


def test_an_empty_page_is_an_envelope_without_objects(node: Node) -> None:
    world = node.world
    nobody = world.account(world.org())
    response = node.get(nobody, objects_path(node.default_id), {"limit": "5"})
    assert response.status_code == 200, response.text
    assert response.content == b'{"more":false,"objects":[]}'
    assert "X-TAXII-Date-Added-First" not in response.headers
