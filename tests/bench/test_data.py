"""The bench's generator and ceiling rows: deterministic, valid, and what Accord stores."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select

from accord.intel.models import StixObject
from accord.intel.validation import check_object
from accord.sharing.distribution import Distribution
from bench import ceiling, data
from tests.factories import World


def test_same_seed_same_bytes_other_seed_other_objects() -> None:
    first = data.bundles(data.generate(600, seed=7, chunk=200), 200, seed=7)
    assert first == data.bundles(data.generate(600, seed=7, chunk=200), 200, seed=7)
    assert len(first) == 3
    assert first != data.bundles(data.generate(600, seed=8, chunk=200), 200, seed=8)


def test_mix_sizes_and_unique_ids() -> None:
    objects = data.generate(3000, seed=1, chunk=500)
    kinds = Counter(o["type"] for o in objects)
    assert set(kinds) == {"indicator", "report", "attack-pattern", "note", "course-of-action"}
    assert 0.65 < kinds["indicator"] / len(objects) < 0.75
    assert 0.07 < kinds["report"] / len(objects) < 0.13
    assert len({o["id"] for o in objects}) == len(objects)
    patterns = {o["pattern"].split(":")[0] for o in objects if o["type"] == "indicator"}
    assert patterns == {"[ipv4-addr", "[domain-name", "[file"}
    assert 500 <= statistics.mean(len(orjson.dumps(o)) for o in objects) <= 650


def test_containers_reference_indicators_of_their_own_chunk() -> None:
    chunk = 250
    objects = data.generate(1000, seed=2, chunk=chunk)
    position = {o["id"]: i for i, o in enumerate(objects)}
    containers = [(i, o) for i, o in enumerate(objects) if "object_refs" in o]
    assert containers
    for index, obj in containers:
        for ref in obj["object_refs"]:
            assert ref.startswith("indicator--")
            assert position[ref] < index
            assert position[ref] // chunk == index // chunk


def test_every_object_passes_accord_validation() -> None:
    now = datetime.now(UTC)
    for obj in data.generate(1500, seed=3, chunk=500):
        assert check_object(obj, now, timedelta(minutes=5)).id == obj["id"]


def test_ceiling_rows_are_the_rows_accord_stores(world: World) -> None:
    org = world.org()
    account = world.account(org)
    objects = data.generate(120, seed=4, chunk=120)
    assert world.ingest(account, *objects, distribution=Distribution.NODE).ok
    with world.db.read() as session:
        stored = list(session.scalars(select(StixObject).order_by(StixObject.pk)))
    rows = ceiling.stored_rows(objects)
    assert len(stored) == len(rows) == 120
    for row, accord in zip(rows, stored, strict=True):
        _, stix_id, kind, modified, owner, distribution, tlp, published, _, text = row
        assert (stix_id, kind, modified) == (accord.stix_id, accord.type, accord.modified)
        assert (distribution, tlp, published) == (accord.distribution, accord.tlp, True)
        assert len(owner) == len(accord.owner_org_id)
        same_owner = text.replace(ceiling.OWNER, org.id)
        assert orjson.loads(same_owner) == orjson.loads(accord.stix)
        assert len(same_owner) == len(accord.stix)


def test_envelopes_hold_only_objects_in_chunks() -> None:
    objects = data.generate(250, seed=9, chunk=100)
    bodies = [orjson.loads(body) for body in data.envelopes(objects, 100)]
    assert [len(body["objects"]) for body in bodies] == [100, 100, 50]
    assert all(set(body) == {"objects"} for body in bodies)
    assert [o for body in bodies for o in body["objects"]] == objects
