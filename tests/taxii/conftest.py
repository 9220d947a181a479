"""The TAXII fixture: a live server with its default collection, as `accord init` makes it."""

from __future__ import annotations

import httpx
import pytest

from accord.taxii.service import ensure_default_collection
from tests.factories import World
from tests.taxii.support import Node


@pytest.fixture
def node(world: World, client: httpx.Client) -> Node:
    with world.db.write() as session:
        default_id = ensure_default_collection(session).id
    return Node(world, client, default_id)
