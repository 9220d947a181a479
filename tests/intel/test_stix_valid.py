"""What Accord accepts and serves is valid STIX 2.1 (checked by stix2-validator)."""

from __future__ import annotations

import httpx
from stix2validator import ValidationOptions, validate_instance

from accord.intel.extension import accord_identity, extension_definition
from accord.sharing.tlp import Tlp, tlp2_marking_definition
from tests.factories import World, bundle
from tests.intel.samples import every_type

OPTIONS = ValidationOptions(version="2.1")


def _errors(obj: dict[str, object]) -> list[str]:
    return [str(e) for e in validate_instance(obj, OPTIONS).errors]


def test_samples_are_valid_before_ingest() -> None:
    for obj in every_type():
        assert _errors(obj) == [], obj["type"]


def test_every_type_round_trips_valid(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org())
    objects = every_type()
    r = client.post(
        "/api/v1/objects?distribution=node", json=bundle(*objects), headers=alice.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == len(objects)
    served = []
    cursor = None
    while True:
        params = {"limit": 10, **({"next": cursor} if cursor else {})}
        page = client.get("/api/v1/objects", params=params, headers=alice.headers).json()
        served += page["objects"]
        if not page["more"]:
            break
        cursor = page["next"]
    assert {o["id"] for o in served} == {o["id"] for o in objects}
    for obj in served:
        assert _errors(obj) == [], obj["type"]


def test_definitions_we_export_are_valid() -> None:
    assert _errors(extension_definition()) == []
    assert _errors(accord_identity()) == []
    for level in Tlp:
        if level is not Tlp.NONE:
            assert _errors(tlp2_marking_definition(level)) == []
