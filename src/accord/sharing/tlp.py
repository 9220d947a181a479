"""Traffic Light Protocol 2.0 levels and their STIX marking-definition ids."""

from __future__ import annotations

import enum


class Tlp(enum.IntEnum):
    """Ordered by restriction; NONE is an object without a TLP marking."""

    NONE = 0
    CLEAR = 1
    GREEN = 2
    AMBER = 3
    AMBER_STRICT = 4
    RED = 5

    @property
    def label(self) -> str:
        return "none" if self is Tlp.NONE else "TLP:" + self.name.replace("_", "+")

    @property
    def marking_id(self) -> str | None:
        return TLP2_IDS.get(self)

    @classmethod
    def parse(cls, text: str) -> Tlp:
        """'amber+strict', 'TLP:AMBER+STRICT', 'white' ... to a level."""
        key = text.strip().upper().removeprefix("TLP:").replace("+", "_").replace("-", "_")
        if key == "WHITE":
            key = "CLEAR"
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown TLP level {text!r}") from None


TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP2_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# STIX 2.1 section 7.2.1.4: the TLP 1.0 marking definitions, read as their 2.0 equivalents.
TLP1_IDS: dict[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,  # WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}

TLP_BY_MARKING_ID: dict[str, Tlp] = {v: k for k, v in TLP2_IDS.items()} | TLP1_IDS

_TLP2_CREATED = "2022-10-01T00:00:00.000Z"


def tlp2_marking_definition(level: Tlp) -> dict[str, object]:
    """The OASIS TLP 2.0 marking-definition object (cti-stix-common-objects)."""
    if level is Tlp.NONE:
        raise ValueError("no marking definition for an unmarked object")
    name = level.label
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[level],
        "created": _TLP2_CREATED,
        "name": name,
        "extensions": {
            TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": name[4:].lower()}
        },
    }
