"""Full-text search (accord.intel.search): what it finds, in which languages, what it
never reveals, and how the index follows new versions, publication and revocation."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from accord.db import Database, make_engine
from accord.db.migrate import alembic_config, upgrade
from accord.errors import Invalid
from accord.identity.models import Role
from accord.intel import service
from accord.intel.models import OBJECTS
from accord.intel.search import SearchQuery, cjk_grams, highlight_spans, parse, search_condition
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp
from accord.web.queries import counts
from tests.factories import Account, World, indicator, sid, stamp


def found(db: Database, who: Principal, q: str, **filters: Any) -> list[str]:
    """Ids of the latest visible versions whose text matches `q`."""
    f = service.ObjectFilter(search=parse(q), **filters)
    with db.read() as session:
        page = service.list_objects(session, who, f, 100)
    assert not page.more
    return [row.stix_id for row in page.rows]


def sco(stix_type: str, **props: Any) -> dict[str, Any]:
    return {"type": stix_type, "spec_version": "2.1", "id": sid(stix_type), **props}


def actor(name: str, **extra: Any) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": sid("threat-actor"),
        "created": now,
        "modified": now,
        "name": name,
    } | extra


def writer(world: World) -> Account:
    return world.account(world.org())


# --- parsing ------------------------------------------------------------------------------


def test_words_and_phrases_are_parsed_as_written() -> None:
    assert parse('  grey   heron "night  kite" grey ').terms == ("grey", "heron", "night kite")
    assert parse('"unclosed phrase').terms == ("unclosed phrase",)
    assert parse("AND OR NOT *").terms == ("AND", "OR", "NOT")
    assert parse('a"b').terms == ('a"b',)


@pytest.mark.parametrize(
    "q", ['"', '""', "*", "%%", "\\", "'':*", "   ", "- ( ) :", "x" * 401, "a\x00b", "a\x1bb"]
)
def test_text_that_cannot_be_a_search_is_refused(q: str) -> None:
    with pytest.raises(Invalid):
        parse(q)


def test_too_many_terms_are_refused() -> None:
    with pytest.raises(Invalid, match="more than 12"):
        parse(" ".join(f"w{i}" for i in range(13)))


def test_cjk_runs_become_bigrams_and_highlights_merge() -> None:
    assert cjk_grams("钓鱼攻击") == "钓鱼 鱼攻 攻击 击"
    assert cjk_grams("钓鱼攻击", final=False) == "钓鱼 鱼攻 攻击"
    assert cjk_grams("钓") == "钓"
    assert highlight_spans("Grey heron, GREY", parse("grey heron")) == [(0, 4), (5, 10), (12, 16)]
    assert highlight_spans("heronheron", parse("heron")) == [(0, 10)]


# --- what it finds ------------------------------------------------------------------------


def test_finds_by_every_indexed_field(world: World) -> None:
    alice = writer(world)
    by_name = actor("Grey Heron cell")
    by_description = actor("Cell A", description="Operates a fleet of quadcopters at dusk")
    by_label = actor("Cell B", labels=["harbour-watch"])
    by_alias = actor("Cell C", aliases=["Marsh Harrier"])
    domain = sco("domain-name", value="relay.example")
    url = sco("url", value="https://cdn.badsite.example/c2/beacon")
    email = sco("email-addr", value="ops@mailer.example")
    ipv4 = sco("ipv4-addr", value="203.0.113.77")
    sha = "9f" * 32
    file = sco("file", name="telemetry.bin", hashes={"SHA-256": sha})
    pattern = indicator("192.0.2.55")
    world.ingest(
        alice, by_name, by_description, by_label, by_alias, domain, url, email, ipv4, file, pattern
    )
    who = alice.principal
    assert found(world.db, who, "heron") == [by_name["id"]]
    assert found(world.db, who, "quadcopters") == [by_description["id"]]
    assert found(world.db, who, "harbour-watch") == [by_label["id"]]
    assert found(world.db, who, '"Marsh Harrier"') == [by_alias["id"]]
    assert found(world.db, who, "relay.example") == [domain["id"]]
    assert found(world.db, who, "https://cdn.badsite.example/c2/beacon") == [url["id"]]
    assert found(world.db, who, "ops@mailer.example") == [email["id"]]
    assert found(world.db, who, "203.0.113.77") == [ipv4["id"]]
    assert found(world.db, who, "telemetry.bin") == [file["id"]]
    assert found(world.db, who, sha.upper()) == [file["id"]]
    assert found(world.db, who, "192.0.2.55") == [pattern["id"]]
    assert found(world.db, who, "zeppelin") == []


def test_every_word_must_occur_and_phrases_keep_their_order(world: World) -> None:
    alice = writer(world)
    both = actor("Night Kite", description="seen near the northern depot")
    one = actor("Night Owl", description="seen near the harbour")
    world.ingest(alice, both, one)
    who = alice.principal
    assert sorted(found(world.db, who, "night seen")) == sorted([both["id"], one["id"]])
    assert found(world.db, who, "night depot") == [both["id"]]
    assert found(world.db, who, '"night kite"') == [both["id"]]
    assert found(world.db, who, '"kite night"') == []


def test_russian_words_in_any_case(world: World) -> None:
    alice = writer(world)
    hit = actor("Группа Серая цапля", description="Фишинг против банков и операторов связи")
    world.ingest(alice, hit, actor("Другая группа", description="Атаки на склады"))
    who = alice.principal
    assert found(world.db, who, "фишинг") == [hit["id"]]
    assert found(world.db, who, "ЦАПЛЯ банков") == [hit["id"]]
    assert found(world.db, who, '"операторов связи"') == [hit["id"]]


def test_chinese_words_inside_a_sentence(world: World) -> None:
    alice = writer(world)
    sentence = "针对银行的鱼叉式钓鱼攻击，使用无人机侦察仓库。"  # noqa: RUF001  (real Chinese)
    hit = actor("灰鹭小组", description=sentence)
    other = actor("另一个小组", description="针对港口的网络攻击")
    world.ingest(alice, hit, other)
    who = alice.principal
    for word in ("钓鱼", "钓鱼攻击", "鱼叉式钓鱼", "无人机", "灰鹭", "银行 仓库", "钓"):
        assert found(world.db, who, word) == [hit["id"]], word
    assert sorted(found(world.db, who, "攻击")) == sorted([hit["id"], other["id"]])
    assert found(world.db, who, "钓鱼 港口") == []
    assert found(world.db, who, "攻击银行") == []  # the characters, but not in this order


def test_a_word_matches_as_a_prefix_and_a_short_one_whole(world: World) -> None:
    """SQLite matches the last word of a term as a prefix; PostgreSQL whole words."""
    alice = writer(world)
    domain = sco("domain-name", value="evil.example.com")
    lure = actor("Cell D", description="Phishing lures, signed ab")
    world.ingest(alice, domain, lure, actor("Cell E", description="abacus"))
    who = alice.principal
    assert found(world.db, who, "ab") == [lure["id"]]  # the word "ab", not "abacus"
    assert found(world.db, who, "hing") == []  # words match from their start
    prefix = world.db.dialect == "sqlite"
    assert found(world.db, who, "evil") == ([domain["id"]] if prefix else [])
    assert found(world.db, who, "phish") == ([lure["id"]] if prefix else [])
    assert found(world.db, who, '"phishing lur"') == ([lure["id"]] if prefix else [])


def test_search_combines_with_other_filters(world: World) -> None:
    alice = writer(world)
    red_actor = actor("Kestrel crew", object_marking_refs=[Tlp.RED.marking_id])
    plain = indicator("198.51.100.9", name="Kestrel beacon")
    world.ingest(alice, red_actor, plain)
    who = alice.principal
    assert found(world.db, who, "kestrel", types=["indicator"]) == [plain["id"]]
    assert found(world.db, who, "kestrel", tlp=[Tlp.RED]) == [red_actor["id"]]


def test_results_page_in_listing_order(world: World) -> None:
    alice = writer(world)
    made = [actor(f"Falcon {n}") for n in range(5)]
    for obj in made:
        world.ingest(alice, obj)
    f = service.ObjectFilter(search=parse("falcon"))
    seen: list[str] = []
    after = None
    with world.db.read() as session:
        while True:
            page = service.list_objects(session, alice.principal, f, 2, after)
            seen += [r.stix_id for r in page.rows]
            if not page.more:
                break
            after = page.next
    assert seen == [o["id"] for o in made]


# --- what it never reveals ----------------------------------------------------------------


def test_never_finds_what_the_caller_cannot_see(world: World) -> None:
    owner, member, outsider = world.org(), world.org(), world.org()
    group = world.group(owner, member)
    alice = world.account(owner)
    bob, carol = world.account(member), world.account(outsider, Role.ADMIN)
    shared = actor("Osprey shared")
    world.ingest(alice, shared, distribution=Distribution.NODE)
    draft = actor("Osprey draft")
    world.ingest(alice, draft, distribution=Distribution.NODE, published=False)
    red = actor("Osprey red", object_marking_refs=[Tlp.RED.marking_id])
    world.ingest(alice, red, distribution=Distribution.NODE)
    in_group = actor("Osprey group")
    world.ingest(alice, in_group, distribution=Distribution.GROUP, sharing_group=group.id)
    org_only = actor("Osprey org")
    world.ingest(alice, org_only)

    expected = [
        (alice, {shared["id"], draft["id"], red["id"], in_group["id"], org_only["id"]}),
        (bob, {shared["id"], in_group["id"]}),
        (carol, {shared["id"]}),
    ]
    for account, ids in expected:
        assert set(found(world.db, account.principal, "osprey")) == ids
        for hidden in ("draft", "red", "group", "org"):
            hits = found(world.db, account.principal, f'"osprey {hidden}"')
            assert set(hits) <= ids
        with world.db.read() as session:
            by_type, _ = counts(
                session, account.principal, service.ObjectFilter(search=parse("osprey"))
            )
        assert by_type == {"threat-actor": len(ids)}


# --- the index follows the rows ------------------------------------------------------------


def test_a_new_version_replaces_the_words_of_the_old(world: World) -> None:
    alice, reader = writer(world), writer(world)
    first = actor("Plover crew", description="amber lanterns")
    world.ingest(alice, first, distribution=Distribution.NODE)
    second = first | {"modified": stamp(), "description": "violet lanterns"}
    world.ingest(alice, second, distribution=Distribution.NODE)
    for who in (alice.principal, reader.principal):
        assert found(world.db, who, "amber") == []
        assert found(world.db, who, "violet") == [first["id"]]
        assert found(world.db, who, "lanterns") == [first["id"]]
        assert found(world.db, who, "amber", all_versions=True) == [first["id"]]


def test_publishing_moves_the_version_and_its_words(world: World) -> None:
    alice, reader = writer(world), writer(world)
    draft = actor("Sandpiper crew", description="drafted words")
    world.ingest(alice, draft, distribution=Distribution.NODE, published=False)
    assert found(world.db, reader.principal, "sandpiper") == []
    with world.db.write() as session:
        assert service.publish(session, alice.principal, draft["id"]) == [draft["id"]]
    assert found(world.db, reader.principal, "sandpiper drafted") == [draft["id"]]
    assert found(world.db, alice.principal, "sandpiper") == [draft["id"]]
    with world.db.read() as session:
        rows = session.execute(text("SELECT count(*) FROM objects")).scalar_one()
    assert rows == 1


def test_revocation_is_found_as_the_current_version(world: World) -> None:
    alice, reader = writer(world), writer(world)
    obj = actor("Curlew crew")
    assert world.ingest(alice, obj, distribution=Distribution.NODE).ok
    with world.db.write() as session:
        service.revoke(session, alice.principal, obj["id"])
    for who in (alice.principal, reader.principal):
        f = service.ObjectFilter(search=parse("curlew"))
        with world.db.read() as session:
            rows = service.list_objects(session, who, f, 10).rows
        assert [(r.stix_id, r.revoked) for r in rows] == [(obj["id"], True)]


def search_entries(db: Database, word: str) -> list[int]:
    """SQLite: the pks the FTS5 table holds for `word`, whether or not a row has them."""
    with db.read() as session:
        return list(
            session.scalars(
                text("SELECT rowid FROM objects_search WHERE body MATCH :w ORDER BY rowid"),
                {"w": word},
            )
        )


def test_publishing_moves_the_index_entry_and_leaves_none_behind(world: World) -> None:
    """SQLite re-keys the FTS entry; PostgreSQL derives the index from the row itself."""
    alice = writer(world)
    draft = actor("Turnstone crew", labels=["shingle"])
    world.ingest(alice, draft, distribution=Distribution.NODE, published=False)
    world.ingest(alice, actor("Later crew"))  # the draft's pk is no longer the last
    with world.db.write() as session:
        service.publish(session, alice.principal, draft["id"])
    with world.db.read() as session:
        pk = session.scalars(select(OBJECTS.c.pk).where(OBJECTS.c.stix_id == draft["id"])).one()
    assert found(world.db, alice.principal, "turnstone") == [draft["id"]]
    assert found(world.db, alice.principal, "shingle") == [draft["id"]]
    if world.db.dialect == "sqlite":
        assert search_entries(world.db, "turnstone") == search_entries(world.db, "shingle") == [pk]
        assert search_entries(world.db, "crew") == sorted([pk, pk - 1])


def test_a_deleted_row_takes_its_entry_along(world: World) -> None:
    """Nothing deletes objects today; should anything, a reused pk must not match."""
    alice = writer(world)
    gone = actor("Whimbrel crew")
    world.ingest(alice, gone)
    with world.db.write() as session:
        session.execute(OBJECTS.delete().where(OBJECTS.c.stix_id == gone["id"]))
    if world.db.dialect == "sqlite":
        assert search_entries(world.db, "whimbrel") == []
    reused = actor("Dunlin crew")
    world.ingest(alice, reused)  # takes the deleted row's pk
    assert found(world.db, alice.principal, "whimbrel") == []
    assert found(world.db, alice.principal, "dunlin") == [reused["id"]]


def test_the_index_is_in_place_at_head(db: Database) -> None:
    inspector = inspect(db.engine)
    if db.dialect == "sqlite":
        with db.read() as session:
            sql = session.scalars(
                text("SELECT sql FROM sqlite_master WHERE name = 'objects_search'")
            ).one()
            triggers = session.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            ).all()
        assert "unicode61 remove_diacritics 2" in sql
        # Inserts are indexed by the application (accord.intel.search.index_objects).
        expected = ["objects_search_delete", "objects_search_move"]
        assert [t for t in triggers if t.startswith("objects_search")] == expected
    else:
        names = {ix["name"] for ix in inspector.get_indexes("objects")}
        assert "ix_objects_search" in names


# --- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "AND OR NOT *",
        "heron OR unrelated",
        "unrelated NOT heron",
        "unrelated | heron",
        "unrelated -heron",
        "NEAR(heron unrelated)",
        "body:unrelated",
        "'); DROP TABLE objects; --",
        "a_",
        "x\\%",
        "heron & !kite | (x)",
        "<-> <2> !!",
        '"unbalanced',
    ],
)
def test_hostile_queries_are_plain_text(world: World, q: str) -> None:
    """Were any of these read as FTS5 or tsquery syntax, "Unrelated words" would match."""
    alice = writer(world)
    world.ingest(alice, actor("Heron kite"), actor("Unrelated words"))
    assert found(world.db, alice.principal, q) == []
    assert len(found(world.db, alice.principal, "heron")) == 1  # still there, still indexed


def test_like_wildcards_are_literal_in_short_terms(world: World) -> None:
    alice = writer(world)
    hit = actor("Rate 5% of hosts")
    world.ingest(alice, hit, actor("Rate 50 of hosts"), actor("Plain"))
    assert found(world.db, alice.principal, "5%") == [hit["id"]]


def test_a_search_query_is_hashable_and_reusable(world: World) -> None:
    alice = writer(world)
    first, second = actor("Avocet one"), actor("Avocet two")
    world.ingest(alice, first, second)
    query = SearchQuery(("avocet", "two"))
    f = service.ObjectFilter(search=query)
    with world.db.read() as session:
        ids = [r.stix_id for r in service.list_objects(session, alice.principal, f, 5).rows]
        again = [r.stix_id for r in service.list_objects(session, alice.principal, f, 5).rows]
    assert ids == again == [second["id"]]
    assert hash(query) == hash(parse("avocet two"))


def test_the_migration_indexes_rows_stored_before_it(tmp_path: Path) -> None:
    """Upgrading a database that holds objects already back-fills the index."""
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(alembic_config(engine), "0006")  # the revision before the index
    obj = actor("Lapwing crew", labels=["moorland"])
    row = {
        "pk": 1,
        "stix_id": obj["id"],
        "type": "threat-actor",
        "spec_version": "2.1",
        "created": obj["created"],
        "modified": obj["modified"],
        "date_added": "2026-01-01 00:00:00.000000",
        "owner_org_id": "org",
        "origin_node_id": "node",
        "distribution": "org",
        "tlp": int(Tlp.NONE),
        "published": True,
        "revoked": False,
        "is_latest": True,
        "is_latest_published": True,
        "stix": json.dumps(obj),
    }
    # A bare row through the driver (foreign keys off): no organization, no node needed.
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute(
            f"INSERT INTO objects ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608
            list(row.values()),
        )
    upgrade(engine)
    with engine.connect() as conn:
        for q in ("lapwing", "moorland"):
            hits = conn.execute(select(OBJECTS.c.stix_id).where(search_condition(parse(q))))
            assert hits.scalars().all() == [obj["id"]]
    engine.dispose()
