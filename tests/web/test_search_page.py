"""The search box of the reports list: labelled, live (htmx partial), highlighted,
escaped, translated, and blind to what its reader cannot see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator, report
from tests.web.conftest import WebServer
from tests.web.support import Browser, Fields

LIVE = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture
def reader(web: WebServer) -> Iterator[Browser]:
    browser = Browser(web.url)
    yield browser
    browser.close()


def publish_report(world: World, who: Account, name: str, **sharing: Any) -> dict[str, Any]:
    """A report named `name` with one indicator; returns the report."""
    tlp = sharing.pop("tlp", Tlp.NONE)
    ind = indicator("192.0.2.10", tlp=tlp)
    rep = report([ind["id"]], name=name, tlp=tlp)
    result = world.ingest(who, ind, rep, **sharing)
    assert result.ok, result.results
    return rep


def test_search_box_is_labelled_and_finds_with_highlight(reader: Browser, world: World) -> None:
    alice = world.account(world.org("Harbour Staff"))
    hit = publish_report(world, alice, "Drone sightings over the harbour")
    miss = publish_report(world, alice, "Fuel depot inspection")
    reader.sign_in(alice.user.email)

    page = reader.get("/reports", params={"q": "harbour drone"})
    assert page.status_code == 200
    fields = Fields()
    fields.feed(page.text)
    assert "q" in [c.get("name") for c in fields.controls]
    assert fields.unlabelled() == []
    assert 'aria-describedby="f-q-hint"' in page.text
    assert f"/objects/{hit['id']}" in page.text
    assert f"/objects/{miss['id']}" not in page.text
    assert "<mark>Drone</mark> sightings over the <mark>harbour</mark>" in page.text
    assert 'value="harbour drone"' in page.text


def test_typing_gets_the_results_alone(reader: Browser, world: World) -> None:
    alice = world.account(world.org())
    hit = publish_report(world, alice, "Кибератака на порт")
    reader.sign_in(alice.user.email)
    live = reader.get("/reports", params={"q": "кибератака", "type": ""}, headers=LIVE)
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<div id="results"')
    assert "<html" not in live.text
    assert f"/objects/{hit['id']}" in live.text
    empty = reader.get("/reports", params={"q": "склад"}, headers=LIVE)
    assert "Nothing you can see matches this search." in empty.text


def test_titles_stay_escaped_when_highlighted(reader: Browser, world: World) -> None:
    alice = world.account(world.org())
    publish_report(world, alice, "Beacon <img src=x onerror=alert(1)> & co")
    reader.sign_in(alice.user.email)
    page = reader.get("/reports", params={"q": "beacon"})
    assert "<img src=x" not in page.text
    assert "<mark>Beacon</mark> &lt;img src=x onerror=alert(1)&gt; &amp; co" in page.text


@pytest.mark.parametrize("q", ['"', "*", "%%"])
def test_a_search_that_is_no_search_says_so(reader: Browser, world: World, q: str) -> None:
    alice = world.account(world.org())
    rep = publish_report(world, alice, "Any report")
    reader.sign_in(alice.user.email)
    page = reader.get("/reports", params={"q": q})
    assert page.status_code == 200
    assert "This search was not understood" in page.text
    assert f"/objects/{rep['id']}" not in page.text


def test_search_never_shows_what_the_reader_cannot_see(web: WebServer, world: World) -> None:
    owner, member, outsider = world.org(), world.org(), world.org()
    group = world.group(owner, member)
    alice = world.account(owner)
    bob, carol = world.refresh(world.account(member)), world.account(outsider)
    node = publish_report(world, alice, "Osprey node", distribution=Distribution.NODE)
    draft = publish_report(
        world, alice, "Osprey draft", distribution=Distribution.NODE, published=False
    )
    red = publish_report(world, alice, "Osprey red", distribution=Distribution.NODE, tlp=Tlp.RED)
    in_group = publish_report(
        world,
        alice,
        "Osprey group",
        distribution=Distribution.GROUP,
        sharing_group=group.id,
    )
    everything = {o["id"] for o in (node, draft, red, in_group)}
    expected = [
        (alice, everything),
        (bob, {node["id"], in_group["id"]}),
        (carol, {node["id"]}),
    ]
    for account, visible in expected:
        browser = Browser(web.url)
        try:
            browser.sign_in(account.user.email)
            for q in ("osprey", "osprey draft", "osprey red", "osprey group"):
                page = browser.get("/reports", params={"q": q}, headers=LIVE)
                shown = {i for i in everything if f"/objects/{i}" in page.text}
                assert shown <= visible, (account.user.email, q)
            page = browser.get("/reports", params={"q": "osprey"})
            assert {i for i in everything if f"/objects/{i}" in page.text} == visible
        finally:
            browser.close()


@pytest.mark.parametrize(
    ("language", "label", "empty"),
    [
        ("ru", "Поиск", "Среди доступных вам объектов ничего не найдено."),
        ("zh", "搜索", "在您可见的内容中没有找到匹配项。"),
    ],
)
def test_the_search_box_speaks_russian_and_chinese(
    web: WebServer, world: World, language: str, label: str, empty: str
) -> None:
    alice = world.account(world.org())
    browser = Browser(web.url, **{"Accept-Language": language})
    try:
        browser.sign_in(alice.user.email)
        page = browser.get("/reports", params={"q": "nowhere"})
        assert f'<label for="f-q">{label}</label>' in page.text
        assert empty in page.text
    finally:
        browser.close()
