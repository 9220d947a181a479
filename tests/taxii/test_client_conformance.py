"""TAXII 2.1 (OASIS, 10 June 2021) through the OASIS client, taxii2-client, and through
stix2's TAXIICollectionSource: what a conformant consumer sees of Accord.

Every object Accord serves here is checked with stix2-validator (`served`, `ids`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import requests
from stix2 import Filter, TAXIICollectionSource
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from accord.identity.models import Role
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from tests.conftest import TEST_BODY_LIMIT
from tests.factories import Account, indicator, report, sid
from tests.taxii.support import (
    ROOT,
    STIX,
    TAXII,
    BearerAuth,
    Node,
    assert_valid_stix,
    attack_pattern,
    clock,
    collection_of,
    ids,
    new_version,
    served,
)


def _status_of(error: pytest.ExceptionInfo[requests.HTTPError]) -> int:
    response = error.value.response
    assert response is not None
    return response.status_code


# --- section 4: discovery, API root, status ------------------------------------------------


def test_discovery_names_the_one_api_root(node: Node) -> None:
    alice = node.world.account(node.world.org())
    with Server(node.url("/taxii2/"), user=alice.user.email, password=alice.key) as server:
        assert server.title == "Accord TAXII 2.1 server"
        assert server.description
        assert [root.url for root in server.api_roots] == [node.url(ROOT)]
        assert server.default is not None
        assert server.default.url == node.url(ROOT)


def test_api_root_information(node: Node) -> None:
    alice = node.world.account(node.world.org())
    with ApiRoot(node.url(ROOT), user=alice.user.email, password=alice.key) as root:
        assert root.title == "Accord"
        assert TAXII in root.versions
        assert root.max_content_length == TEST_BODY_LIMIT


def test_status_is_readable_by_its_poster_only(node: Node) -> None:
    w = node.world
    org = w.org()
    poster, colleague, stranger = w.account(org), w.account(org), w.account(w.org())
    objects = [indicator(), attack_pattern()]
    with collection_of(node, poster) as collection:
        status = collection.add_objects({"objects": objects})
    with ApiRoot(node.url(ROOT), user=poster.user.email, password=poster.key) as root:
        again = root.get_status(status.id)
    assert again.id == status.id
    assert again.status == "complete"
    assert (again.total_count, again.success_count, again.failure_count) == (2, 2, 0)
    assert again.pending_count == 0
    assert sorted(s["id"] for s in again.successes) == sorted(o["id"] for o in objects)
    for other in (colleague, stranger):
        with (
            ApiRoot(node.url(ROOT), user=other.user.email, password=other.key) as root,
            pytest.raises(requests.HTTPError) as refused,
        ):
            root.get_status(status.id)
        assert _status_of(refused) == 404


# --- section 5.1 / 5.2: collections ----------------------------------------------------------


def test_collections_listed_are_those_one_may_read_or_write(node: Node) -> None:
    w = node.world
    member_org, outsider_org = w.org(), w.org()
    group = w.group(member_org)
    node.collection("Admins only", read_roles=["admin"], write_roles=["admin"])
    node.collection("Drop box", read_roles=["admin"], write_roles=["analyst"])
    node.collection("Group desk", sharing_group_id=group.id, write_roles=["analyst"])
    expected = [
        (w.account(member_org), {"default", "Drop box", "Group desk"}),
        (w.account(member_org, Role.OBSERVER), {"default", "Group desk"}),
        (w.account(outsider_org), {"default", "Drop box"}),
        (w.account(outsider_org, Role.OBSERVER), {"default"}),
        (w.account(outsider_org, Role.ADMIN), {"default", "Admins only", "Drop box"}),
    ]
    for account, titles in expected:
        with ApiRoot(node.url(ROOT), user=account.user.email, password=account.key) as root:
            listed = {c.title: c for c in root.collections}
        assert set(listed) == titles, account.user.role
        if "Drop box" in listed and account.user.role is Role.ANALYST:
            assert (listed["Drop box"].can_read, listed["Drop box"].can_write) == (False, True)


@pytest.mark.parametrize("role", list(Role))
def test_collection_resource_says_what_each_role_may_do(node: Node, role: Role) -> None:
    account = node.world.account(node.world.org(), role)
    with collection_of(node, account) as collection:
        assert collection.id == node.default_id
        assert collection.title == "default"
        assert collection.description
        assert collection.media_types == [STIX]
        assert collection.can_read is True
        assert collection.can_write is (role in (Role.ADMIN, Role.ORG_ADMIN, Role.ANALYST))


# --- section 5.5: add objects ------------------------------------------------------------------


def test_add_objects_completes_and_reposting_succeeds(node: Node) -> None:
    alice = node.world.account(node.world.org())
    objects = [indicator() for _ in range(4)] + [attack_pattern()]
    with collection_of(node, alice) as collection:
        status = collection.add_objects({"objects": objects})
        assert status.status == "complete"
        assert (status.total_count, status.success_count, status.failure_count) == (5, 5, 0)
        assert status.pending_count == 0
        by_id = {s["id"]: s for s in status.successes}
        assert set(by_id) == {o["id"] for o in objects}
        assert all(by_id[o["id"]]["version"] == o["modified"] for o in objects)

        again = collection.add_objects({"objects": objects})
        assert again.id != status.id
        assert again.status == "complete"
        assert (again.success_count, again.failure_count) == (5, 0)
        # Stored once: the repost added no versions.
        assert ids(collection.get_objects(version="all")) == [o["id"] for o in objects]


# --- section 3.4 / 5.3 / 5.4 / 5.6 / 5.8: reading with filters ----------------------------------


@dataclass
class History:
    """Six versions posted in three requests; date_added order is the order below."""

    author: Account
    collection: Collection
    i1: list[dict[str, Any]]  # three versions, one per request
    i2: dict[str, Any]
    ap: dict[str, Any]
    rep: dict[str, Any]

    @property
    def added_order(self) -> list[tuple[str, str]]:
        rows = [self.i1[0], self.i2, self.ap, self.i1[1], self.rep, self.i1[2]]
        return [(o["id"], o["modified"]) for o in rows]


@pytest.fixture
def history(node: Node) -> History:
    author = node.world.account(node.world.org())
    t = clock()
    i1 = indicator(created=t(0), modified=t(0), valid_from=t(0))
    i2 = indicator(created=t(1), modified=t(1), valid_from=t(1))
    ap = attack_pattern(created=t(1), modified=t(1))
    node.add(author, [i1, i2, ap])
    i1b = new_version(i1, t(2), name="Renamed address")
    rep = report([i2["id"], ap["id"]], created=t(2), modified=t(2), published=t(2))
    node.add(author, [i1b, rep])
    i1c = new_version(i1b, t(3), confidence=80)
    node.add(author, [i1c])
    return History(author, collection_of(node, author), [i1, i1b, i1c], i2, ap, rep)


def _versions(envelope: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["id"], o["modified"]) for o in served(envelope).get("objects", [])]


def test_objects_default_to_last_versions_in_date_added_order(history: History) -> None:
    h = history
    got = h.collection.get_objects()
    assert got["more"] is False
    assert _versions(got) == [
        (h.i2["id"], h.i2["modified"]),
        (h.ap["id"], h.ap["modified"]),
        (h.rep["id"], h.rep["modified"]),
        (h.i1[2]["id"], h.i1[2]["modified"]),
    ]
    assert served(got)["objects"][-1]["confidence"] == 80


def test_match_version_first_last_all_and_exact(history: History) -> None:
    h, c = history, history.collection
    order = h.added_order
    assert _versions(c.get_objects(version="all")) == order
    assert _versions(c.get_objects(version="first")) == [order[i] for i in (0, 1, 2, 4)]
    assert _versions(c.get_objects(version="last")) == [order[i] for i in (1, 2, 4, 5)]
    assert _versions(c.get_objects(version=["first", "last"])) == [
        order[i] for i in (0, 1, 2, 4, 5)
    ]
    # An exact version matches every object with that `modified`; precision does not matter.
    exact = h.i1[1]["modified"]
    assert _versions(c.get_objects(version=exact)) == [order[3], order[4]]
    assert _versions(c.get_objects(version=exact.replace(".000Z", "Z"))) == [order[3], order[4]]
    assert _versions(c.get_objects(version=[exact, "first"])) == [order[i] for i in range(5)]
    assert _versions(c.get_objects(version="2001-01-01T00:00:00.000Z")) == []


def test_match_type_takes_several_types_or_ed(history: History) -> None:
    h, c = history, history.collection
    assert ids(c.get_objects(type=["indicator", "report"])) == [
        h.i2["id"],
        h.rep["id"],
        h.i1[0]["id"],
    ]
    assert ids(c.get_objects(type="attack-pattern")) == [h.ap["id"]]
    assert ids(c.get_objects(type=["malware", "attack-pattern"])) == [h.ap["id"]]
    assert ids(c.get_objects(type="malware")) == []


def test_match_id_takes_several_ids(history: History) -> None:
    h, c = history, history.collection
    assert ids(c.get_objects(id=[h.i1[0]["id"], h.ap["id"]])) == [h.ap["id"], h.i1[0]["id"]]
    assert ids(c.get_objects(id=sid("indicator"))) == []


def test_match_spec_version(history: History) -> None:
    c = history.collection
    every = ids(c.get_objects())
    assert len(every) == 4
    assert ids(c.get_objects(spec_version="2.1")) == every
    assert ids(c.get_objects(spec_version=["2.0", "2.1"])) == every
    assert ids(c.get_objects(spec_version="2.0")) == []
    assert c.get_manifest(spec_version="2.0").get("objects", []) == []


def test_filters_are_and_ed_across_fields(history: History) -> None:
    h, c = history, history.collection
    i1 = h.i1[0]["id"]
    assert _versions(c.get_objects(id=i1, type="indicator", version="all")) == [
        (i1, v["modified"]) for v in h.i1
    ]
    assert ids(c.get_objects(id=i1, type="report")) == []
    assert _versions(c.get_objects(type="indicator", version="first")) == [
        (i1, h.i1[0]["modified"]),
        (h.i2["id"], h.i2["modified"]),
    ]
    assert ids(c.get_objects(id=[i1, h.i2["id"]], spec_version="2.0")) == []


def test_added_after(history: History) -> None:
    h, c = history, history.collection
    added = [r["date_added"] for r in c.get_manifest(version="all")["objects"]]
    assert len(added) == 6
    after_i1b = added[3]
    assert _versions(c.get_objects(added_after=after_i1b, version="all")) == h.added_order[4:]
    assert ids(c.get_objects(added_after=after_i1b)) == [h.rep["id"], h.i1[0]["id"]]
    assert ids(c.get_objects(added_after=added[-1])) == []
    assert len(ids(c.get_objects(added_after="2001-01-01T00:00:00Z"))) == 4
    # added_after combines with the other filters.
    assert ids(c.get_objects(added_after=added[0], type="indicator", version="first")) == [
        h.i2["id"]
    ]


def test_limit_and_next_through_as_pages(history: History) -> None:
    c = history.collection
    first = c.get_objects(limit=3)
    assert len(ids(first)) == 3
    assert first["more"] is True
    assert first["next"]
    whole = ids(c.get_objects(version="all"))
    paged: list[str] = []
    for page in as_pages(c.get_objects, per_request=4, version="all"):
        assert len(page["objects"]) <= 4
        paged += ids(page)
    assert paged == whole
    records: list[dict[str, Any]] = []
    for page in as_pages(c.get_manifest, per_request=2, version="all"):
        records += page["objects"]
    assert [(r["id"], r["version"]) for r in records] == history.added_order


def test_results_are_ordered_by_date_added(history: History) -> None:
    c = history.collection
    records = c.get_manifest(version="all")["objects"]
    added = [r["date_added"] for r in records]
    assert added == sorted(added)
    assert len(set(added)) == len(added)
    assert [(r["id"], r["version"]) for r in records] == history.added_order
    assert _versions(c.get_objects(version="all")) == history.added_order


def test_manifest_records(history: History) -> None:
    h, c = history, history.collection
    records = c.get_manifest()["objects"]
    assert [(r["id"], r["version"]) for r in records] == [h.added_order[i] for i in (1, 2, 4, 5)]
    for record in records:
        assert set(record) == {"id", "date_added", "version", "media_type"}
        assert record["media_type"] == STIX
        assert record["date_added"].endswith("Z")


def test_get_object_defaults_to_last_and_takes_match_version(history: History) -> None:
    h, c = history, history.collection
    i1 = h.i1[0]["id"]
    assert _versions(c.get_object(i1)) == [(i1, h.i1[2]["modified"])]
    assert _versions(c.get_object(i1, version="all")) == [(i1, v["modified"]) for v in h.i1]
    assert _versions(c.get_object(i1, version="first")) == [(i1, h.i1[0]["modified"])]
    assert _versions(c.get_object(i1, version=h.i1[1]["modified"])) == [(i1, h.i1[1]["modified"])]
    with pytest.raises(requests.HTTPError) as missing:
        c.get_object(sid("indicator"))
    assert _status_of(missing) == 404


def test_object_versions(history: History) -> None:
    h, c = history, history.collection
    got = c.object_versions(h.i1[0]["id"])
    assert got["versions"] == [v["modified"] for v in h.i1]
    assert got["more"] is False
    assert c.object_versions(h.ap["id"])["versions"] == [h.ap["modified"]]
    with pytest.raises(requests.HTTPError) as missing:
        c.object_versions(sid("indicator"))
    assert _status_of(missing) == 404


# --- section 5.7: delete ---------------------------------------------------------------------


def test_delete_by_the_owner_revokes_the_object(node: Node) -> None:
    w = node.world
    owner, reader = w.account(w.org()), w.account(w.org())
    target = indicator()
    node.add(owner, [target], {"distribution": "node"})
    with collection_of(node, reader) as theirs:
        assert ids(theirs.get_objects()) == [target["id"]]
        with pytest.raises(requests.HTTPError) as refused:
            theirs.delete_object(target["id"])
        assert _status_of(refused) == 403
        assert "revoked" not in served(theirs.get_object(target["id"]))["objects"][0]

    with collection_of(node, owner) as mine:
        mine.delete_object(target["id"])
        versions = served(mine.get_object(target["id"], version="all"))["objects"]
        assert [v.get("revoked", False) for v in versions] == [False, True]
        assert versions[1]["modified"] > target["modified"]
        assert mine.object_versions(target["id"])["versions"] == [v["modified"] for v in versions]
    with collection_of(node, reader) as theirs:
        assert served(theirs.get_object(target["id"]))["objects"][0]["revoked"] is True


def test_delete_of_what_one_cannot_see_is_404(node: Node) -> None:
    w = node.world
    owner, stranger = w.account(w.org()), w.account(w.org())
    private = indicator()
    node.add(owner, [private])
    with collection_of(node, stranger) as theirs:
        for object_id in (private["id"], sid("indicator")):
            with pytest.raises(requests.HTTPError) as missing:
                theirs.delete_object(object_id)
            assert _status_of(missing) == 404
    with collection_of(node, owner) as mine:
        assert "revoked" not in served(mine.get_object(private["id"]))["objects"][0]
        assert len(mine.object_versions(private["id"])["versions"]) == 1


# --- authentication --------------------------------------------------------------------------


def test_basic_and_bearer_authentication_both_work(node: Node) -> None:
    alice = node.world.account(node.world.org())
    mine = indicator()
    node.add(alice, [mine])
    with Server(node.url("/taxii2/"), user=alice.user.email, password=alice.key) as server:
        assert server.title
    with Server(node.url("/taxii2/"), auth=BearerAuth(alice.key)) as server:
        assert server.title
    for bearer in (False, True):
        with collection_of(node, alice, bearer=bearer) as collection:
            assert ids(collection.get_objects()) == [mine["id"]]


def test_wrong_credentials_are_401(node: Node) -> None:
    alice, bob = node.world.account(node.world.org()), node.world.account(node.world.org())
    url = node.url("/taxii2/")
    attempts: list[dict[str, Any]] = [
        {"user": alice.user.email, "password": "acc_not-a-key"},
        {"user": bob.user.email, "password": alice.key},  # a real key, someone else's e-mail
        {"auth": BearerAuth("acc_not-a-key")},
        {},
    ]
    for credentials in attempts:
        with Server(url, **credentials) as server, pytest.raises(requests.HTTPError) as refused:
            _ = server.title
        assert _status_of(refused) == 401, credentials


# --- visibility (DESIGN.md section 2) ---------------------------------------------------------


def test_what_another_org_may_not_see_does_not_exist_for_it(node: Node) -> None:
    w = node.world
    a, b = w.account(w.org()), w.account(w.org())
    private, draft, red, shared = indicator(), indicator(), indicator(tlp=Tlp.RED), indicator()
    node.add(a, [private])  # TAXII writes default to distribution org
    assert w.ingest(a, draft, distribution=Distribution.NODE, published=False).ok
    assert w.ingest(a, red, distribution=Distribution.NODE).ok
    node.add(a, [shared], {"distribution": "node"})

    with collection_of(node, a) as mine:
        assert set(ids(mine.get_objects())) == {o["id"] for o in (private, draft, red, shared)}
    with collection_of(node, b) as theirs:
        assert ids(theirs.get_objects()) == [shared["id"]]
        assert ids(theirs.get_objects(version="all")) == [shared["id"]]
        assert ids(theirs.get_objects(version="first")) == [shared["id"]]
        assert [r["id"] for r in theirs.get_manifest(version="all")["objects"]] == [shared["id"]]
        for hidden in (private, draft, red):
            assert ids(theirs.get_objects(id=hidden["id"], version="all")) == []
            assert theirs.get_manifest(id=hidden["id"]).get("objects", []) == []
            for read in (theirs.get_object, theirs.object_versions):
                with pytest.raises(requests.HTTPError) as missing:
                    read(hidden["id"])
                assert _status_of(missing) == 404


def test_group_collection_shows_its_group_objects_to_members_only(node: Node) -> None:
    w = node.world
    member_org, other_member_org, outsider_org = w.org(), w.org(), w.org()
    group = w.group(member_org, other_member_org)
    desk = node.collection("Drone desk", sharing_group_id=group.id, write_roles=["analyst"])
    author = w.account(member_org)
    colleague, outsider = w.account(other_member_org), w.account(outsider_org)
    posted = indicator()
    node.add(author, [posted], collection=desk)  # no extension: the collection's group applies
    elsewhere = indicator()
    node.add(author, [elsewhere], {"distribution": "node"})

    with collection_of(node, colleague, desk) as theirs:
        got = served(theirs.get_objects())["objects"]
        assert [o["id"] for o in got] == [posted["id"]]
        ext = got[0]["extensions"]["extension-definition--f170894b-79ff-485c-9c26-1186b443fc36"]
        assert (ext["distribution"], ext["sharing_group"]) == ("group", group.id)
    with ApiRoot(node.url(ROOT), user=outsider.user.email, password=outsider.key) as root:
        assert "Drone desk" not in {c.title for c in root.collections}
    with collection_of(node, outsider) as default:
        assert ids(default.get_objects()) == [elsewhere["id"]]
    with (
        collection_of(node, outsider, desk) as hidden,
        pytest.raises(requests.HTTPError) as missing,
    ):
        _ = hidden.title
    assert _status_of(missing) == 404


# --- stix2 as a consumer --------------------------------------------------------------------


def test_stix2_taxii_data_source_queries_and_gets(node: Node) -> None:
    alice = node.world.account(node.world.org())
    indicators = [indicator(), indicator()]
    pattern = attack_pattern()
    node.add(alice, [*indicators, pattern])
    with collection_of(node, alice) as collection:
        source = TAXIICollectionSource(collection)
        found = source.query([Filter("type", "=", "indicator")])
        assert sorted(o.id for o in found) == sorted(o["id"] for o in indicators)
        assert_valid_stix([orjson.loads(o.serialize()) for o in found])
        got = source.get(pattern["id"])
        assert got is not None
        assert (got.id, got.type, got.name) == (pattern["id"], "attack-pattern", pattern["name"])
        assert_valid_stix([orjson.loads(got.serialize())])
        assert source.get(sid("indicator")) is None
