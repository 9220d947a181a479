"""Languages: every message translated, the language chosen per person and by the
browser, dates and numbers localized."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from accord.web import i18n
from tests.web.conftest import WebServer

WEB = Path(i18n.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _source_messages() -> dict[str, str | tuple[str, str]]:
    """Every message of the templates and Python modules: msgid -> msgid (or the pair)."""
    found: dict[str, str | tuple[str, str]] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else message[0]
        found[key] = message if isinstance(message, str) else (message[0], message[1])
    return found


@pytest.fixture(scope="module")
def messages() -> dict[str, str | tuple[str, str]]:
    found = _source_messages()
    assert len(found) > 250  # the extractor saw the templates, not just one file
    return found


def _catalog(language: str) -> Catalog:
    return read_po(i18n.po_text(language).splitlines(), locale=i18n.BABEL_LOCALES[language])


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_every_message_has_a_translation(language: str, messages: dict[str, object]) -> None:
    catalog = _catalog(language)
    plurals = catalog.num_plurals
    problems: list[str] = []
    for key, message in messages.items():
        entry = catalog.get(key)
        if entry is None:
            problems.append(f"missing: {key!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = list(entry.string) if isinstance(entry.string, tuple | list) else [entry.string]
        if isinstance(message, tuple) and len(strings) != plurals:
            problems.append(f"needs {plurals} plural forms: {key!r}")
        expected = set(PLACEHOLDER.findall(key if isinstance(message, str) else message[1]))
        for text in strings:
            if not text or not text.strip():
                problems.append(f"empty: {key!r}")
            elif set(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {key!r} -> {text!r}")
    obsolete = [
        m.id
        for m in catalog
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in messages
    ]
    assert problems == []
    assert obsolete == [], "messages no longer used: run pybabel update (see babel.cfg)"


def test_russian_has_three_plural_forms() -> None:
    assert _catalog("ru").num_plurals == 3
    token = i18n.activate("ru")
    try:
        forms = [
            i18n.ngettext(
                "Too many failed attempts. Try again in %(num)d minute.",
                "Too many failed attempts. Try again in %(num)d minutes.",
                n,
            )
            % {"num": n}
            for n in (1, 3, 5, 21)
        ]
    finally:
        i18n.deactivate(token)
    assert [f.rsplit(" ", 1)[1] for f in forms] == ["минуту.", "минуты.", "минут.", "минуту."]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-TW", "zh"),
        ("de-DE,de;q=0.9,ru;q=0.4,en;q=0.5", "en"),
        ("fr-FR", None),
        ("en;q=0.2, zh;q=0.8", "zh"),
        ("ru;q=0, en", "en"),
        ("ru;q=abc, zh", "zh"),
        ("", None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


@pytest.mark.parametrize(
    ("language", "date_text", "number_text"),
    [
        ("en", "Mar 5, 2026", "1,234,567"),
        ("ru", "5 мар. 2026", "1\xa0234\xa0567"),
        ("zh", "2026年3月5日", "1,234,567"),
    ],
)
def test_dates_and_numbers_are_localized(language: str, date_text: str, number_text: str) -> None:
    token = i18n.activate(language)
    try:
        moment = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
        assert date_text in i18n.when(moment)
        assert i18n.when(moment).endswith("UTC")
        assert i18n.number(1234567) == number_text
    finally:
        i18n.deactivate(token)


@pytest.fixture
def anonymous(web: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url) as client:
        yield client


def test_pages_follow_the_browser_language(anonymous: httpx.Client) -> None:
    russian = anonymous.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in russian.text
    assert "Вход в Accord" in russian.text
    chinese = anonymous.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-Hans">' in chinese.text
    assert "登录 Accord" in chinese.text
    other = anonymous.get("/login", headers={"Accept-Language": "fr"})
    assert "Sign in to Accord" in other.text


def test_a_chosen_language_wins_over_the_browser(anonymous: httpx.Client) -> None:
    page = anonymous.get("/login", headers={"Accept-Language": "ru"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    chosen = anonymous.post(
        "/language", data={"csrf_token": token.group(1), "language": "zh", "next": "/login"}
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/login"
    assert "HttpOnly" in chosen.headers["set-cookie"]
    assert "登录 Accord" in anonymous.get("/login", headers={"Accept-Language": "ru"}).text
    # An unknown language changes nothing.
    anonymous.post(
        "/language", data={"csrf_token": token.group(1), "language": "xx", "next": "/login"}
    )
    assert "登录 Accord" in anonymous.get("/login").text
