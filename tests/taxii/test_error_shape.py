"""Errors raised outside the TAXII handlers are TAXII error resources under /taxii2/."""

from __future__ import annotations

import orjson

from tests.factories import indicator
from tests.taxii.support import ROOT, TAXII, Node, assert_taxii_error, headers, objects_path


def test_unknown_path_under_taxii2_is_a_taxii_404(node: Node) -> None:
    alice = node.world.account(node.world.org())
    for path in (f"{ROOT}nothing-here/", f"{ROOT}collections/{node.default_id}/objects/a/b/c/"):
        assert_taxii_error(node.get(alice, path), 404)


def test_wrong_method_is_a_taxii_405(node: Node) -> None:
    alice = node.world.account(node.world.org())
    body = orjson.dumps({"objects": [indicator()]})
    head = headers(alice) | {"Content-Type": TAXII}
    client = node.client
    assert_taxii_error(client.put(objects_path(node.default_id), content=body, headers=head), 405)
    assert_taxii_error(client.post(f"{ROOT}collections/", content=body, headers=head), 405)
    assert_taxii_error(client.delete(objects_path(node.default_id), headers=head), 405)


def test_rest_errors_keep_the_rest_shape(node: Node) -> None:
    r = node.client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
