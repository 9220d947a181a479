"""Offline exchange: a signed bundle carries exactly what sync would, and a tampered,
truncated, unsigned or misdirected bundle is refused whole, with nothing written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from accord.db import Database
from accord.errors import Invalid
from accord.federation.bundles import FEDERATION, export_for_node, import_bundle
from accord.federation.ingress import Outcome
from accord.federation.models import SyncRefusal
from accord.identity.models import Role
from accord.intel.extension import EXTENSION_ID
from accord.intel.models import StixObject
from accord.organizations.models import Node
from accord.sharing.tlp import Tlp
from tests.cli.support import Cli
from tests.factories import World, indicator
from tests.federation.conftest import Federation, link

OFFLINE = "http://127.0.0.1:9/"  # no link: the nodes never talk over the network


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(StixObject)) or 0)


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _setup(world: World, peer_world: World) -> tuple[str, list[str]]:
    """A exports for B: B's id at A, and the ids of what may go."""
    Federation(world)
    b_at_a, a_at_b = link(world, OFFLINE, peer_world, OFFLINE)
    with world.db.read() as session:
        node_b = session.get(Node, b_at_a)
    with peer_world.db.read() as session:
        node_a = session.get(Node, a_at_b)
    assert node_a is not None
    assert node_b is not None
    Federation(world).agree(node_b, max_tlp=Tlp.AMBER, types=["indicator"])
    Federation(peer_world).agree(node_a, max_tlp=Tlp.GREEN, types=["indicator"])
    analyst = world.account(world.org(), Role.ANALYST)
    allowed = [
        indicator(distribution="open", tlp=Tlp.GREEN),
        indicator(distribution="federation"),
        indicator(distribution="open", tlp=Tlp.AMBER),  # A may send, B refuses on arrival
    ]
    kept = [
        indicator(distribution="node"),
        indicator(distribution="open", tlp=Tlp.RED),
        indicator(distribution="open", tlp=Tlp.AMBER_STRICT),
    ]
    assert world.ingest(analyst, *allowed, *kept).ok
    return b_at_a, [str(o["id"]) for o in allowed]


def _bundle(world: World, node: str) -> dict[str, Any]:
    out = io.BytesIO()
    export_for_node(world.db, node, out)
    return dict(orjson.loads(out.getvalue()))


def test_round_trip_obeys_both_sides_agreements(world: World, peer_world: World) -> None:
    b_at_a, allowed = _setup(world, peer_world)
    bundle = _bundle(world, b_at_a)
    assert sorted(o["id"] for o in bundle["objects"]) == sorted(allowed)
    assert bundle[FEDERATION]["for_node"] == b_at_a
    _sender, result = import_bundle(peer_world.db, bundle)
    assert [r.outcome for r in result.results].count(Outcome.STORED) == 2
    (refused,) = result.refused
    assert refused.id == allowed[2]
    assert "above the agreed TLP:GREEN" in (refused.reason or "")
    with peer_world.db.read() as session:
        assert session.scalars(select(SyncRefusal.object_id)).one() == allowed[2]
    _sender, again = import_bundle(peer_world.db, bundle)
    assert again.count(Outcome.EXISTS) == 2
    assert _count(peer_world.db) == 2


def _tampered(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["objects"][0]["name"] = "altered on the way"
    return bundle


def _unsigned(bundle: dict[str, Any]) -> dict[str, Any]:
    del bundle[FEDERATION]["signature"]
    return bundle


def _dropped(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["objects"].pop()
    return bundle


def _recounted(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["objects"].pop()
    bundle[FEDERATION]["count"] -= 1
    return bundle


def _widened(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["objects"][1]["extensions"][EXTENSION_ID]["distribution"] = "open"
    return bundle


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (_tampered, "does not verify"),
        (_unsigned, "not signed"),
        (_dropped, "incomplete"),
        (_recounted, "does not verify"),
        (_widened, "does not verify"),
    ],
)
def test_spoiled_bundle_is_refused_whole(
    world: World, peer_world: World, spoil: Any, words: str
) -> None:
    b_at_a, _allowed = _setup(world, peer_world)
    bundle = spoil(_bundle(world, b_at_a))
    with pytest.raises(Invalid, match=words):
        import_bundle(peer_world.db, bundle)
    assert _count(peer_world.db) == 0


def test_bundle_for_another_node_is_refused(world: World, peer_world: World) -> None:
    _b, _allowed = _setup(world, peer_world)
    third = Federation(world).peer()
    Federation(world).agree(third)
    bundle = _bundle(world, third.id)
    with pytest.raises(Invalid, match="made for another node"):
        import_bundle(peer_world.db, bundle)
    assert _count(peer_world.db) == 0


def test_export_and_import_commands(world: World, peer_world: World, tmp_path: Path) -> None:
    b_at_a, allowed = _setup(world, peer_world)
    a, b = Cli(_url(world.db), tmp_path), Cli(_url(peer_world.db), tmp_path)
    file = tmp_path / "for-b.json"
    exported = a.run("export", "--for-node", b_at_a, "--out", str(file))
    assert exported.code == 0, exported
    assert "exported 3 objects" in exported.stderr

    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(file.read_bytes()[: len(file.read_bytes()) // 2])
    assert "not valid JSON" in b.run("import", str(truncated)).error
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(file.read_bytes().replace(b"Suspicious", b"Harmless", 1))
    assert "does not verify" in b.run("import", str(tampered)).error
    assert _count(peer_world.db) == 0

    imported = b.run("import", str(file))
    assert imported.code == 0, imported
    assert "imported 2 new, 0 already present, 1 refused" in imported.stderr
    with peer_world.db.read() as session:
        stored = set(session.scalars(select(StixObject.stix_id)))
    assert stored == set(allowed[:2])
