"""The Atom 1.0 feed (RFC 4287) of the public news page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from accord.cooperation.coverage import PublicItem
from accord.db.base import utcnow
from accord.intel import timestamps

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"


@dataclass(frozen=True)
class FeedInfo:
    title: str
    news_url: str  # the news page, absolute
    self_url: str  # the feed itself, absolute
    author: str
    language: str


def _stamp(moment: datetime) -> str:
    return timestamps.format_stix(moment)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        child.text = text
    return child


def _updated(item: PublicItem) -> datetime:
    """An entry changes when it is released and when its content changes."""
    return max(item.released_at, item.modified)


def atom_feed(info: FeedInfo, items: list[PublicItem], item_url: str) -> bytes:
    """The feed document; `item_url` has a `{id}` placeholder for an item's page."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": info.language})
    _add(feed, "id", uuid.uuid5(uuid.NAMESPACE_URL, info.news_url).urn)
    _add(feed, "title", info.title)
    newest = max((_updated(i) for i in items), default=None)
    _add(feed, "updated", _stamp(newest or utcnow()))
    _add(feed, "link", rel="alternate", type="text/html", href=info.news_url)
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=info.self_url)
    _add(_add(feed, "author"), "name", info.author)
    for item in items:
        entry = _add(feed, "entry")
        _add(entry, "id", uuid.UUID(item.release_id).urn)
        _add(entry, "title", item.title)
        _add(entry, "updated", _stamp(_updated(item)))
        _add(entry, "published", _stamp(item.released_at))
        _add(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=item_url.format(id=item.release_id),
        )
        _add(_add(entry, "author"), "name", item.organization)
        _add(entry, "summary", item.description or item.title)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
