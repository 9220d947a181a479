"""The public news page, item pages and the Atom feed, read without signing in."""

# ruff: noqa: F811  (pytest fixtures imported from coverage_fixtures are parameters here)

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET  # our own feed, parsed as a reader would

import httpx
from sqlalchemy import select

from accord.cooperation.coverage_models import PublicRelease
from accord.db import Database
from accord.sharing.distribution import Distribution
from tests.cooperation.coverage_fixtures import (  # noqa: F401  (fixtures)
    coverage_server,
    event,
    inbox,
    release,
    rest,
    site,
    smtp_server,
)
from tests.factories import World

A = "{http://www.w3.org/2005/Atom}"


def _parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314  (the feed under test, from our server)


def _released(world: World, rest: httpx.Client, count: int) -> list[str]:
    author = world.account(world.org("Defence Staff of Aldoria"))
    ids = []
    for n in range(count):
        obj = event(
            name=f"Cooperation event {n}",
            description=f"Description <b>{n}</b> & more",
            end_time="2026-05-07T15:00:00.000Z",
        )
        assert world.ingest(author, obj, distribution=Distribution.OPEN).ok
        assert release(rest, author, obj["id"]).status_code == 201
        ids.append(obj["id"])
    return ids


def _release_ids(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(select(PublicRelease.id).order_by(PublicRelease.released_at.desc()))
        )


def test_news_page_lists_released_items_newest_first_with_event_facts(
    world: World, db: Database, rest: httpx.Client, site: str
) -> None:
    _released(world, rest, 2)
    page = httpx.get(f"{site}/news")
    assert page.status_code == 200
    text = page.text
    assert text.index("Cooperation event 1") < text.index("Cooperation event 0")
    assert "Defence Staff of Aldoria" in text
    assert "Varnel" in text
    assert "May 5, 2026 \u2013 May 7, 2026" in text
    assert "Meeting" in text
    assert "Description &lt;b&gt;1&lt;/b&gt; &amp; more" in text  # escaped, never markup
    assert 'action="/news/subscribe"' in text
    assert 'name="csrf_token"' in text
    newest = _release_ids(db)[0]
    item = httpx.get(f"{site}/news/{newest}")
    assert item.status_code == 200
    assert "Cooperation event 1" in item.text
    assert httpx.get(f"{site}/news/not-a-release").status_code == 404


def test_news_page_is_paged(world: World, rest: httpx.Client, site: str) -> None:
    _released(world, rest, 21)
    first = httpx.get(f"{site}/news").text
    assert "Cooperation event 20" in first
    assert "Cooperation event 0<" not in first
    assert 'href="/news?page=2"' in first
    second = httpx.get(f"{site}/news?page=2")
    assert second.status_code == 200
    assert "Cooperation event 0" in second.text
    assert httpx.get(f"{site}/news?page=3").status_code == 404
    assert httpx.get(f"{site}/news?page=0").status_code == 404
    assert httpx.get(f"{site}/news?page=x").status_code == 404


def test_atom_feed_is_valid_atom(world: World, db: Database, rest: httpx.Client, site: str) -> None:
    _released(world, rest, 3)
    response = httpx.get(f"{site}/news/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = _parse(response.content)
    assert root.tag == f"{A}feed"
    assert (root.findtext(f"{A}id") or "").startswith("urn:uuid:")
    assert root.findtext(f"{A}title") == "Accord news"
    datetime.fromisoformat((root.findtext(f"{A}updated") or "").replace("Z", "+00:00"))
    assert root.find(f"{A}author/{A}name") is not None
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert rels == {"alternate": f"{site}/news", "self": f"{site}/news/feed.atom"}
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == [
        "Cooperation event 2",
        "Cooperation event 1",
        "Cooperation event 0",
    ]
    ids = _release_ids(db)
    for entry, release_id in zip(entries, ids, strict=True):
        assert entry.findtext(f"{A}id") == f"urn:uuid:{release_id}"
        updated = entry.findtext(f"{A}updated") or ""
        datetime.fromisoformat(updated.replace("Z", "+00:00"))
        link = entry.find(f"{A}link")
        assert link is not None
        assert link.get("href") == f"{site}/news/{release_id}"
        assert (entry.findtext(f"{A}summary") or "").startswith("Description <b>")
        assert entry.findtext(f"{A}author/{A}name") == "Defence Staff of Aldoria"
    assert httpx.get(link.get("href") or "").status_code == 200


def test_empty_feed_and_page(site: str) -> None:
    root = _parse(httpx.get(f"{site}/news/feed.atom").content)
    assert root.findall(f"{A}entry") == []
    assert root.findtext(f"{A}updated")
    assert "Nothing has been released yet." in httpx.get(f"{site}/news").text


def test_news_in_russian_and_chinese(world: World, rest: httpx.Client, site: str) -> None:
    _released(world, rest, 1)
    russian = httpx.get(f"{site}/news", headers={"Accept-Language": "ru"}).text
    assert "Новости" in russian
    assert "Подписаться" in russian
    assert "5 мая 2026" in russian
    chinese = httpx.get(f"{site}/news", headers={"Accept-Language": "zh-CN"}).text
    assert "新闻" in chinese
    assert "订阅" in chinese
    feed = httpx.get(f"{site}/news/feed.atom", headers={"Accept-Language": "ru"})
    assert _parse(feed.content).findtext(f"{A}title") == "Новости Accord"


def test_refusals_are_in_the_visitors_language(site: str) -> None:
    page = httpx.get(f"{site}/news/confirm?token=made-up", headers={"Accept-Language": "ru"})
    assert page.status_code == 422
    assert "Эта ссылка для подтверждения недействительна" in page.text
    page = httpx.get(f"{site}/news/unsubscribe?token=", headers={"Accept-Language": "zh"})
    assert page.status_code == 422
    assert "此退订链接无效或已被使用。" in page.text
