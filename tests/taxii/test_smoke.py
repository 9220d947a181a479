"""taxii2-client against a live Accord: discovery, add, read back, paging."""

from __future__ import annotations

from taxii2client.v21 import Server, as_pages

from tests.factories import indicator
from tests.taxii.support import Node, ids, served


def test_client_round_trip(node: Node) -> None:
    alice = node.world.account(node.world.org())
    with Server(node.url("/taxii2/"), user=alice.user.email, password=alice.key) as server:
        root = server.default
        assert root is not None
        collection = next(c for c in root.collections if c.title == "default")
        objects = [indicator() for _ in range(25)]
        status = collection.add_objects({"objects": objects})
        assert status.status == "complete"
        assert status.success_count == 25
        seen: list[str] = []
        for envelope in as_pages(collection.get_objects, per_request=10):
            seen += ids(envelope)
        assert seen == [o["id"] for o in objects]
        one = served(collection.get_object(objects[3]["id"]))
        assert [o["id"] for o in one["objects"]] == [objects[3]["id"]]
        assert one["objects"][0]["pattern"] == objects[3]["pattern"]
        manifest = collection.get_manifest()
        assert len(manifest["objects"]) == 25
        versions = collection.object_versions(objects[0]["id"])
        assert versions["versions"] == [objects[0]["modified"]]
