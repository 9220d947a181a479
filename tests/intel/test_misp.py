"""MISP events built with PyMISP map to valid STIX 2.1 and ingest as the importer's."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pymisp import MISPEvent, MISPObject
from stix2validator import ValidationOptions, validate_instance

from accord.errors import Invalid
from accord.intel.extension import EXTENSION_ID
from accord.intel.misp import event_to_stix, is_misp_event
from accord.sharing.tlp import Tlp
from tests.factories import World


def _event(distribution: int = 1) -> MISPEvent:
    event = MISPEvent()
    event.info = "Small drones over the northern depot"
    event.distribution = distribution
    event.add_tag("tlp:amber")
    event.add_tag("exercise:counter-uav")
    ip = event.add_attribute("ip-dst", "198.51.100.7", to_ids=True, comment="control relay")
    ip.add_tag("tlp:green")
    event.add_attribute("domain", "relay.example", to_ids=False, distribution=5)
    event.add_attribute("sha256", "b" * 64, to_ids=True, distribution=0)
    event.add_attribute("text", "Seen at dusk, three airframes.", to_ids=False)
    pair = MISPObject("domain-ip")
    pair.add_attribute("domain", value="mesh.example")
    pair.add_attribute("ip", value="203.0.113.9")
    event.add_object(pair)
    return event


def _payload(event: MISPEvent) -> dict[str, Any]:
    return dict(json.loads(event.to_json()))


def _ext(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj["extensions"][EXTENSION_ID])


def test_event_maps_to_valid_stix() -> None:
    objects = event_to_stix(_payload(_event()))
    types = [o["type"] for o in objects]
    assert types.count("indicator") == 4  # ip, sha256 and the object's domain and ip
    assert types.count("domain-name") == 1
    assert types.count("note") == 1
    assert types[-1] == "report"
    for obj in objects:
        result = validate_instance(obj, ValidationOptions(version="2.1"))
        assert result.is_valid, [str(e) for e in result.errors]


def test_distribution_and_tlp_inherit_as_misp_does() -> None:
    objects = {o.get("name", o["type"]): o for o in event_to_stix(_payload(_event()))}
    report = objects["Small drones over the northern depot"]
    assert _ext(report)["distribution"] == "node"
    assert report["object_marking_refs"] == [Tlp.AMBER.marking_id]
    assert report["labels"] == ["exercise:counter-uav"]
    ip = objects["ip-dst: 198.51.100.7"]
    assert ip["object_marking_refs"] == [Tlp.GREEN.marking_id]  # its own tag wins
    assert ip["pattern"] == "[ipv4-addr:value = '198.51.100.7']"
    sha = objects[f"sha256: {'b' * 64}"]
    assert _ext(sha)["distribution"] == "org"  # MISP 0
    assert objects["domain-name"]["value"] == "relay.example"  # 5: as the event


def test_sharing_group_needs_a_uuid() -> None:
    event = _payload(_event(distribution=4))
    with pytest.raises(Invalid, match="UUID"):
        event_to_stix(event)
    group = str(uuid.uuid4())
    event["SharingGroup"] = {"uuid": group, "name": "Drone working group"}
    report = event_to_stix(event)[-1]
    assert _ext(report) == {
        "extension_type": "property-extension",
        "distribution": "group",
        "sharing_group": group,
    }


def test_bad_values_are_clear_errors() -> None:
    event = _payload(_event())
    event["distribution"] = "9"
    with pytest.raises(Invalid, match="0 to 5"):
        event_to_stix(event)
    assert is_misp_event({"Event": {"info": "x"}})
    assert not is_misp_event({"type": "bundle", "objects": []})


def test_imported_event_is_owned_by_the_importer(world: World) -> None:
    org = world.org()
    alice = world.account(org)
    result = world.ingest(alice, *event_to_stix(_payload(_event())))
    assert result.ok, [r.reason for r in result.results]
    assert result.count(result.results[0].status) == len(result.results)
