"""Distribution levels (DESIGN.md section 2) and their MISP equivalents."""

from __future__ import annotations

import enum


class Distribution(enum.StrEnum):
    ORG = "org"
    NODE = "node"
    FEDERATION = "federation"
    OPEN = "open"
    GROUP = "group"


# MISP distribution 0-4; 5 ("inherit from event") is resolved by the importer.
MISP_DISTRIBUTION: dict[int, Distribution] = {
    0: Distribution.ORG,
    1: Distribution.NODE,
    2: Distribution.FEDERATION,
    3: Distribution.OPEN,
    4: Distribution.GROUP,
}
