"""The TAXII fixture: a live server with its default collection, as `accord init` makes it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accord.taxii.service import ensure_default_collection
from tests.factories import Account, World, indicator
from tests.taxii.support import Node


@pytest.fixture
def node(world: World, client: httpx.Client) -> Node:
    with world.db.write() as session:
        default_id = ensure_default_collection(session).id
    return Node(world, client, default_id)


@pytest.fixture
def alice(node: Node) -> Account:
    return node.world.account(node.world.org())


@pytest.fixture
def posted(node: Node, alice: Account) -> tuple[dict[str, Any], str]:
    """One indicator posted by alice, and the id of the POST's status."""
    obj = indicator()
    status = node.add(alice, [obj])
    return obj, status["id"]
