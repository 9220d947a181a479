"""Raw HTTP: what a POST stores or refuses (section 5.5), and who may write."""

from __future__ import annotations

from typing import Any

import pytest

from accord.identity.models import Role
from tests.factories import Account, indicator, report
from tests.taxii.support import (
    EXTENSION,
    TAXII,
    Node,
    assert_taxii_error,
    attack_pattern,
    collection_path,
    headers,
    manifest_path,
    object_path,
    objects_path,
    served_objects,
    status_path,
    versions_path,
)

# --- section 5.5: what a POST stores or refuses ---------------------------------------------------


def _assert_status_details(status: dict[str, Any]) -> None:
    """Section 4.3.2: every status-details names the object's id and version."""
    for key in ("successes", "failures", "pendings"):
        for detail in status[key]:
            assert isinstance(detail["id"], str), detail
            assert isinstance(detail["version"], str), detail
    assert status["total_count"] == (
        status["success_count"] + status["failure_count"] + status["pending_count"]
    )
    assert status["success_count"] == len(status["successes"])
    assert status["failure_count"] == len(status["failures"])


def test_one_invalid_object_stores_nothing(node: Node, alice: Account) -> None:
    good = [indicator(), attack_pattern()]
    bad = indicator()
    del bad["pattern"]
    response = node.post(alice, node.default_id, [good[0], bad, good[1]])
    assert response.status_code == 202
    status = response.json()
    assert status["status"] == "complete"
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (3, 0, 3)
    _assert_status_details(status)
    failures = {f["id"]: f for f in status["failures"]}
    assert set(failures) == {good[0]["id"], bad["id"], good[1]["id"]}
    assert "pattern" in failures[bad["id"]]["message"]
    assert failures[bad["id"]]["version"] == bad["modified"]
    assert all(failures[o["id"]]["message"].startswith("not stored") for o in good)
    assert node.get(alice, status_path(status["id"])).json() == status
    assert served_objects(node.get(alice, objects_path(node.default_id))) == []


def test_refused_objects_name_a_version_even_when_unreadable(node: Node, alice: Account) -> None:
    no_modified = attack_pattern()
    del no_modified["modified"]
    del no_modified["created"]
    response = node.post(alice, node.default_id, [no_modified, "not an object", {"id": 5}])
    assert response.status_code == 202
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (0, 3)
    _assert_status_details(status)


def test_a_typed_collection_refuses_other_types_per_object(node: Node, alice: Account) -> None:
    only = node.collection("Indicators", types=["indicator"], write_roles=["analyst"])
    fits = indicator()
    misfit = report([fits["id"]])
    response = node.post(alice, only, [fits, misfit])
    assert response.status_code == 202
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (0, 2)
    _assert_status_details(status)
    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert "indicator" in failures[misfit["id"]]
    assert failures[fits["id"]].startswith("not stored")
    assert served_objects(node.get(alice, objects_path(only))) == []
    assert served_objects(node.get(alice, objects_path(node.default_id))) == []
    node.add(alice, [fits], collection=only)
    assert [o["id"] for o in served_objects(node.get(alice, objects_path(only)))] == [fits["id"]]


def test_a_labelled_collection_takes_only_its_labels(node: Node, alice: Account) -> None:
    drones = node.collection("Drones", labels=["drone"], write_roles=["analyst"])
    labelled, plain = indicator(labels=["drone", "uav"]), indicator()
    status = node.post(alice, drones, [plain]).json()
    assert (status["success_count"], status["failure_count"]) == (0, 1)
    assert "drone" in status["failures"][0]["message"]
    node.add(alice, [labelled], collection=drones)
    node.add(alice, [plain])
    assert [o["id"] for o in served_objects(node.get(alice, objects_path(drones)))] == [
        labelled["id"]
    ]


def test_a_group_collection_takes_only_objects_shared_with_its_group(node: Node) -> None:
    w = node.world
    org = w.org()
    group, other_group = w.group(org), w.group(org)
    author = w.account(org)
    desk = node.collection("Desk", sharing_group_id=group.id, write_roles=["analyst"])
    mismatched = [
        indicator(distribution="node"),
        indicator(distribution="group", sharing_group=other_group.id),
    ]
    for obj in mismatched:
        status = node.post(author, desk, [obj]).json()
        assert (status["success_count"], status["failure_count"]) == (0, 1), status
        assert "sharing group" in status["failures"][0]["message"]
    explicit = indicator(distribution="group", sharing_group=group.id)
    implicit = indicator()
    node.add(author, [explicit, implicit], collection=desk)
    got = served_objects(node.get(author, objects_path(desk)))
    assert [o["id"] for o in got] == [explicit["id"], implicit["id"]]
    assert all(o["extensions"][EXTENSION]["sharing_group"] == group.id for o in got)
    # ?distribution=node asks for something the collection cannot hold.
    refused = node.post(author, desk, [indicator()], {"distribution": "node"}).json()
    assert refused["failure_count"] == 1


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.CONTRIBUTOR])
def test_post_by_a_role_that_may_not_write_is_403(node: Node, role: Role) -> None:
    account = node.world.account(node.world.org(), role)
    resource = node.get(account, collection_path(node.default_id)).json()
    assert resource["can_write"] is False
    assert_taxii_error(node.post(account, node.default_id, [indicator()]), 403)
    # Even a collection that lists the role cannot make it a writer of published objects.
    open_door = node.collection(f"Open door {role.value}", write_roles=[role.value])
    assert node.get(account, collection_path(open_door)).json()["can_write"] is True
    assert_taxii_error(node.post(account, open_door, [indicator()]), 403)
    writer = node.world.account(node.world.org())
    assert served_objects(node.get(writer, objects_path(node.default_id))) == []


def test_reading_a_write_only_collection_is_403_and_a_foreign_group_is_404(
    node: Node, alice: Account
) -> None:
    drop_box = node.collection("Drop box", read_roles=["admin"], write_roles=["analyst"])
    node.add(alice, [indicator()], collection=drop_box)
    for path in (objects_path(drop_box), manifest_path(drop_box)):
        assert_taxii_error(node.get(alice, path), 403)
    group = node.world.group(node.world.org())
    desk = node.collection("Desk", sharing_group_id=group.id)
    for path in (collection_path(desk), objects_path(desk), manifest_path(desk)):
        assert_taxii_error(node.get(alice, path), 404)
    assert_taxii_error(node.post(alice, desk, [indicator()]), 404)


def test_bad_bodies_are_400(node: Node, alice: Account) -> None:
    head = headers(alice) | {"Content-Type": TAXII}
    for body in (b"", b"{", b'{"objects": 5}', b"5", b"null", b"\xff\xfe", b"[" * 5000):
        response = node.client.post(objects_path(node.default_id), content=body, headers=head)
        assert_taxii_error(response, 400)
    for params in (
        {"distribution": "everyone"},
        {"sharing_group": "nonsense"},
        {"distribution": "group"},
    ):
        assert_taxii_error(node.post(alice, node.default_id, [indicator()], params), 400)
    assert served_objects(node.get(alice, objects_path(node.default_id))) == []


def test_deleting_twice_is_a_taxii_error(node: Node, alice: Account) -> None:
    obj = indicator()
    node.add(alice, [obj])
    path = object_path(node.default_id, obj["id"])
    assert node.client.delete(path, headers=headers(alice)).status_code == 200
    assert_taxii_error(node.client.delete(path, headers=headers(alice)), 400)
    assert len(node.get(alice, versions_path(node.default_id, obj["id"])).json()["versions"]) == 2
