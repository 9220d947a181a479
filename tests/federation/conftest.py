"""Federation test helpers: peer nodes with keys and organizations, agreements, and
objects signed as an origin node would sign them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from accord.app import create_app
from accord.db import Database, make_engine
from accord.db.migrate import upgrade
from accord.federation.models import Agreement, Direction
from accord.federation.models import Peer as PeerRow
from accord.federation.service import (
    add_agreement,
    add_peer,
    ensure_node_key,
    issue_node_key,
    node_info,
)
from accord.federation.signing import NodeKey, sign_object
from accord.intel.extension import EXTENSION_ID
from accord.organizations.models import Node, Organization
from accord.organizations.service import ensure_local_node, local_node
from accord.settings import Settings
from accord.sharing.tlp import Tlp
from accord.taxii.service import ensure_default_collection
from tests.conftest import _create_pg_database, _drop_pg_database, empty_database
from tests.factories import World
from tests.server import serve_in_thread

ALL_TYPES = ("indicator", "report", "identity", "ipv4-addr")


@dataclass
class Peer:
    node: Node
    key: NodeKey
    org: Organization

    @property
    def id(self) -> str:
        return self.node.id


def today() -> datetime:
    return datetime.now(UTC)


class Federation:
    """Builds the federation side of a test world through the real services."""

    def __init__(self, world: World) -> None:
        self.world = world
        with world.db.write() as session:
            self.key = ensure_node_key(session, local_node(session))

    def peer(self, name: str | None = None) -> Peer:
        key = NodeKey.generate()
        with self.world.db.write() as session:
            node = Node(
                name=name or f"peer-{uuid.uuid4().hex[:6]}",
                is_local=False,
                url="http://127.0.0.1:9/",
                public_key=key.public_text(),
            )
            session.add(node)
            session.flush()
            session.add(PeerRow(node_id=node.id, url=node.url, api_key="unused"))
        org = self.world.org(node_id=node.id)
        return Peer(node, key, org)

    def agree(
        self,
        peer: Peer | Node,
        direction: Direction = Direction.BOTH,
        *,
        max_tlp: Tlp = Tlp.AMBER_STRICT,
        types: Sequence[str] = ALL_TYPES,
        labels: Sequence[str] = (),
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> Agreement:
        node = peer.node if isinstance(peer, Peer) else peer
        day = datetime.now(UTC).date()
        with self.world.db.write() as session:
            fresh = session.get(Node, node.id)
            assert fresh is not None
            return add_agreement(
                session,
                "test",
                fresh,
                max_tlp=max_tlp,
                types=list(types),
                labels=list(labels),
                direction=direction,
                valid_from=valid_from or day - timedelta(days=30),
                valid_until=valid_until or day + timedelta(days=30),
            )


def signed_by(
    peer: Peer,
    obj: dict[str, Any],
    *,
    owner: Organization | None = None,
    origin: str | None = None,
    key: NodeKey | None = None,
    **ext: Any,
) -> dict[str, Any]:
    """The object as its origin node sends it: owner, origin and signature."""
    owner_id = (owner or peer.org).id
    obj = dict(obj)
    obj.setdefault("created_by_ref", f"identity--{owner_id}")
    extension = obj.setdefault("extensions", {}).setdefault(
        EXTENSION_ID, {"extension_type": "property-extension", "distribution": "open"}
    )
    extension.update({"owner_org": owner_id, **ext})
    return sign_object(obj, key or peer.key, origin or peer.id)


@pytest.fixture
def fed(world: World) -> Federation:
    return Federation(world)


# --- a second node: its own database and server -------------------------------------------


@pytest.fixture(scope="session")
def _peer_database(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A second migrated database on the same backend as `db`: the other node's."""
    sqlite = database_url.startswith("sqlite")
    url = (
        f"sqlite:///{tmp_path_factory.mktemp('peer') / 'peer.db'}"
        if sqlite
        else _create_pg_database()
    )
    db = Database(make_engine(url))
    upgrade(db.engine)
    with db.write() as session:
        ensure_node_key(session, ensure_local_node(session, "peer-node"))
    yield db
    db.dispose()
    if not sqlite:
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def peer_url(_peer_database: Database) -> Iterator[str]:
    settings = Settings(database_url="unused://")
    with serve_in_thread(create_app(settings, _peer_database)) as url:
        yield url


@pytest.fixture
def peer_world(_peer_database: Database) -> World:
    """The other node, emptied but for its own node row and key."""
    empty_database(_peer_database)
    with _peer_database.write() as session:
        ensure_node_key(session, ensure_local_node(session, "peer-node"))
    return World(_peer_database)


def link(a: World, a_url: str, b: World, b_url: str) -> tuple[str, str]:
    """Make two nodes peers of each other; returns (B's id at A, A's id at B)."""
    for world in (a, b):
        with world.db.write() as session:
            ensure_default_collection(session)  # as `accord init` makes it
    with a.db.read() as session:
        info_a = node_info(session)
    with b.db.read() as session:
        info_b = node_info(session)
    for here, there, url in ((a, info_b, b_url), (b, info_a, a_url)):
        key = NodeKey.from_public_text(there.public_key)
        with here.db.write() as session:
            add_peer(session, "test", there, url, "pending", key.fingerprint())
    for here, other, there in ((a, b, info_b), (b, a, info_a)):
        # The key `here` issues is the one `other` uses to reach it.
        with here.db.write() as session:
            node = session.get(Node, there.id)
            assert node is not None
            secret = issue_node_key(session, "test", node)
        with other.db.write() as session:
            row = session.scalars(select(PeerRow).where(PeerRow.node_id == local_id(here))).one()
            row.api_key = secret
    return info_b.id, info_a.id


def local_id(world: World) -> str:
    with world.db.read() as session:
        return local_node(session).id
