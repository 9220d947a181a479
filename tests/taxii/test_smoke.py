"""taxii2-client against a live Accord: discovery, add, read back, paging."""

from __future__ import annotations

import httpx
from taxii2client.v21 import Server, as_pages

from accord.taxii.service import ensure_default_collection
from tests.factories import World, indicator


def test_client_round_trip(world: World, client: httpx.Client) -> None:
    with world.db.write() as session:
        ensure_default_collection(session)
    alice = world.account(world.org())
    server = Server(f"{client.base_url}/taxii2/", user=alice.user.email, password=alice.key)
    root = server.default
    assert root is not None
    collection = next(c for c in root.collections if c.title == "default")
    objects = [indicator() for _ in range(25)]
    status = collection.add_objects({"objects": objects})
    assert status.status == "complete"
    assert status.success_count == 25
    seen = []
    for envelope in as_pages(collection.get_objects, per_request=10):
        seen += [o["id"] for o in envelope.get("objects", [])]
    assert seen == [o["id"] for o in objects]
    one = collection.get_object(objects[3]["id"])
    assert one["objects"][0]["id"] == objects[3]["id"]
    manifest = collection.get_manifest()
    assert len(manifest["objects"]) == 25
    versions = collection.object_versions(objects[0]["id"])
    assert versions["versions"] == [objects[0]["modified"]]
