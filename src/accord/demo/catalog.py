"""Invented places, tactics, countermeasures, actors and software the stories draw on.

Every name here is fictional. Coordinates lie in open ocean on purpose: the demo
states are an imaginary archipelago, not real countries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    name: str
    description: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Text:
    name: str
    description: str


@dataclass(frozen=True)
class Actor:
    name: str
    description: str
    types: tuple[str, ...]
    sophistication: str
    resource_level: str
    motivation: str
    cluster: str  # the intrusion set analysts track for this actor


@dataclass(frozen=True)
class Software:
    name: str
    description: str
    types: tuple[str, ...]


PLACES: dict[str, Place] = {
    "varenholm": Place(
        "Varenholm Air Base", "Main air base of Aldoria, home of the transport wing.", 47.21, -31.44
    ),
    "aldwyn": Place(
        "Port Aldwyn naval harbour", "Aldorian naval harbour and coastal command.", 46.87, -30.92
    ),
    "dunskarra": Place(
        "Dunskarra Training Area", "Borvanian combined-arms training area.", 48.05, -33.10
    ),
    "brenvik": Place(
        "Brenvik logistics depot", "Borvanian fuel and ammunition depot.", 48.32, -32.58
    ),
    "castelardo": Place(
        "Castelardo garrison", "Garrison town of the Castrelian 2nd Brigade.", 45.66, -29.87
    ),
    "sarnvale": Place(
        "Sarnvale industrial district",
        "Castrelian chemical plants near the Sarn river.",
        45.40,
        -29.35,
    ),
    "tarskov": Place(
        "Tarskov border crossing", "Road crossing between Dravonia and Borvania.", 49.12, -34.02
    ),
    "lunaport": Place(
        "Lunaport coastal radar site", "Velmoran coastal surveillance radar.", 44.18, -27.66
    ),
    "orrin": Place(
        "Lake Orrin exercise range", "Joint range used by the coalition's exercises.", 47.70, -32.15
    ),
}

TACTICS: dict[str, Text] = {
    "uas-recon": Text(
        "Reconnaissance overflight by small quadcopter",
        "Commercial quadcopters under 2 kg flown at dusk along a base perimeter to film "
        "vehicle parks, guard posts and shift changes.",
    ),
    "uas-swarm": Text(
        "Coordinated multi-drone approach",
        "Three to five small drones launched from different directions within minutes to "
        "saturate one detection sensor and its operators.",
    ),
    "uas-payload": Text(
        "Improvised payload drop from a small drone",
        "A modified hobby drone releasing a smoke canister or small improvised device over a "
        "gathering point or parked vehicles.",
    ),
    "uas-silent": Text(
        "Pre-programmed drone flight without radio link",
        "Drones flying satellite-navigation waypoints with the control link off, which "
        "defeats radio-frequency detection and jamming.",
    ),
    "spearphish": Text(
        "Spear-phishing with exercise-planning lures",
        "E-mails impersonating a partner staff's exercise planning cell, linking to a "
        "credential-harvesting page or carrying a macro document.",
    ),
    "vpn-exploit": Text(
        "Exploitation of an exposed remote-access gateway",
        "Unauthenticated requests against remote-access gateways left reachable from the "
        "internet, followed by implant installation.",
    ),
    "usb-drop": Text(
        "Removable media left in shared training facilities",
        "USB sticks labelled as exercise material left in classrooms and canteens used by "
        "several contingents.",
    ),
    "supply-update": Text(
        "Tampered update of a logistics application",
        "A software update of a third-party logistics application altered on the vendor's "
        "distribution server to deliver a backdoor.",
    ),
    "perimeter-probe": Text(
        "Probing of base perimeter and access control",
        "Repeated approaches to gates and fences to time the response of guards and test "
        "badge readers.",
    ),
    "gnss-jam": Text(
        "Local satellite-navigation jamming near an airfield",
        "Low-power jammers in parked vehicles degrading satellite navigation on approach "
        "paths for periods of 10 to 40 minutes.",
    ),
    "insider-copy": Text(
        "Unauthorized copying of planning documents",
        "A staff member copying planning documents to private media ahead of leaving the service.",
    ),
    "ddos-portal": Text(
        "Denial of service against a public defence portal",
        "Floods of requests from rented servers against recruitment and press portals, timed "
        "to coincide with public announcements.",
    ),
    "hostile-surveillance": Text(
        "Hostile surveillance before an attack",
        "Repeated photographing and timing of gates, patrols and parking areas by the same "
        "persons or vehicles over several weeks.",
    ),
    "lone-actor": Text(
        "Lone-actor attack on a guarded facility",
        "A single radicalised person attempting to force entry with a bladed weapon or vehicle "
        "at a changing of the guard.",
    ),
    "online-recruit": Text(
        "Online recruitment through encrypted messaging groups",
        "Closed messaging channels grooming young people, including conscripts, towards "
        "violent action.",
    ),
    "precursors": Text(
        "Acquisition of explosive precursors in small purchases",
        "Precursor chemicals bought in quantities just below reporting thresholds from "
        "several shops and online sellers.",
    ),
    "aerosol-uas": Text(
        "Aerosol dispersal of a toxic agent from a drone",
        "Exercise scenario: a small drone fitted with an agricultural sprayer releases a "
        "simulant over an open-air ceremony.",
    ),
    "water-contamination": Text(
        "Contamination of a barracks water supply",
        "Exercise scenario: a biological simulant introduced at an unguarded water tank of "
        "a garrison.",
    ),
    "postal-agent": Text(
        "Biological agent sent by post to a headquarters",
        "Letters with a powder announced as a biological agent delivered to the registry of "
        "a ministry.",
    ),
    "chemical-theft": Text(
        "Theft of toxic industrial chemicals",
        "Cylinders of toxic industrial chemicals stolen from a civilian plant with weak "
        "inventory control.",
    ),
}

MEASURES: dict[str, Text] = {
    "layered-detection": Text(
        "Layered drone detection: radar, radio and electro-optical",
        "Combine a short-range radar, a radio-frequency detector and a day/night camera; no "
        "single sensor detected more than 60 percent of the test flights.",
    ),
    "observer-posts": Text(
        "Visual observer posts with drone report cards",
        "Post trained observers with a one-page report card (time, direction, height, "
        "type); reports reached the operations room in under two minutes.",
    ),
    "rf-jamming": Text(
        "Directional radio jamming under rules of engagement",
        "Use directional jammers only under pre-agreed rules of engagement and with civil "
        "aviation informed; omnidirectional jamming disrupted own radios.",
    ),
    "hardened-cover": Text(
        "Overhead cover for parked vehicles and ammunition",
        "Nets and light overhead cover over vehicle parks and ammunition points defeated "
        "small payload drops in every trial.",
    ),
    "passive-optical": Text(
        "Passive optical detection for link-less drones",
        "Wide-angle cameras with motion analysis found drones flying without a radio link, "
        "which radio detectors miss.",
    ),
    "hardware-tokens": Text(
        "Hardware-token authentication for remote access",
        "Require hardware tokens for every remote-access account, including service "
        "accounts of contractors.",
    ),
    "patch-72h": Text(
        "Patch internet-facing gateways within 72 hours",
        "Track internet-facing gateways in one inventory and patch critical flaws within "
        "72 hours, or take the gateway offline.",
    ),
    "block-removable": Text(
        "Block execution from removable media",
        "Disable automatic execution and block programs started from removable media on "
        "staff workstations and classroom computers.",
    ),
    "signed-updates": Text(
        "Verify update signatures before deployment",
        "Check vendor signatures and hashes of every update in a staging network before "
        "deployment to logistics systems.",
    ),
    "report-phish": Text(
        "One-click phishing report and one-hour triage",
        "Give staff a report button; the security cell triages each report within one hour "
        "and shares lures with partners the same day.",
    ),
    "random-patrols": Text(
        "Randomized guard patrol patterns",
        "Vary patrol routes and times daily so that timed observation gives an adversary "
        "no usable pattern.",
    ),
    "gnss-holdover": Text(
        "Holdover procedures for navigation-dependent systems",
        "Train crews to fly approaches on inertial and ground-based aids when satellite "
        "navigation degrades.",
    ),
    "two-person-rule": Text(
        "Two-person rule for export of classified documents",
        "Any export of classified planning documents needs a second person's approval and "
        "is logged centrally.",
    ),
    "upstream-scrubbing": Text(
        "Upstream traffic scrubbing for public portals",
        "Contract upstream filtering for public portals before major announcements.",
    ),
    "countersurveillance": Text(
        "Counter-surveillance detection teams",
        "Small plain-clothes teams watch for repeated observers around gates; three "
        "surveillance cells were identified this way.",
    ),
    "standoff-barriers": Text(
        "Vehicle stand-off barriers at gates",
        "Staggered barriers keep vehicles 30 m from gate buildings and slow every approach.",
    ),
    "channel-monitoring": Text(
        "Joint monitoring of recruitment channels with police",
        "Military security and police share leads from monitored channels through one "
        "liaison officer.",
    ),
    "precursor-thresholds": Text(
        "Reporting of repeated precursor purchases",
        "Retailers report repeated purchases below thresholds; the coalition shares the "
        "aggregated pattern.",
    ),
    "water-sensors": Text(
        "Early-warning sensors on garrison water points",
        "Fit turbidity and chlorine sensors to garrison water tanks and lock tank hatches.",
    ),
    "mail-screening": Text(
        "Mail screening at a separate facility",
        "Screen all incoming mail of headquarters in a separate building with its own ventilation.",
    ),
    "decon-corridor": Text(
        "Decontamination corridor within 30 minutes",
        "Drill setting up a decontamination corridor within 30 minutes of the first report.",
    ),
    "inventory-checks": Text(
        "Joint inventory checks of toxic industrial chemicals",
        "Run quarterly joint inventory checks with plant operators and police.",
    ),
    "mask-drill": Text(
        "Mask-on drill at the first unexplained aerosol report",
        "Everyone within 500 m masks at the first report of an unexplained spray or mist, "
        "before identification.",
    ),
}

ACTORS: dict[str, Actor] = {
    "grey-heron": Actor(
        "Grey Heron",
        "Espionage group targeting the defence ministries of the region since 2024.",
        ("spy", "nation-state"),
        "advanced",
        "government",
        "organizational-gain",
        "Heron Cluster",
    ),
    "northwind": Actor(
        "Northwind Cell",
        "Violent extremist network recruiting online and planning attacks on garrisons.",
        ("terrorist",),
        "intermediate",
        "team",
        "ideology",
        "Northwind network",
    ),
    "hollow-lantern": Actor(
        "Hollow Lantern",
        "Criminal group selling access to compromised government networks.",
        ("criminal",),
        "expert",
        "organization",
        "personal-gain",
        "Lantern access brokers",
    ),
    "rust-kite": Actor(
        "Rust Kite",
        "Hacktivists who flood public portals of defence ministries.",
        ("activist",),
        "minimal",
        "club",
        "ideology",
        "Kite botnet operators",
    ),
    "quiet-ferry": Actor(
        "Quiet Ferry",
        "Drone operators filming military sites for an unidentified principal.",
        ("spy",),
        "intermediate",
        "team",
        "organizational-gain",
        "Ferry drone teams",
    ),
}

MALWARE: dict[str, Software] = {
    "ledgerfox": Software(
        "LedgerFox",
        "Remote-access implant delivered by phishing; beacons over HTTPS every 15 minutes.",
        ("remote-access-trojan",),
    ),
    "quillworm": Software(
        "QuillWorm", "Worm spreading through removable media in classrooms.", ("worm",)
    ),
    "patchdrop": Software(
        "PatchDrop", "Backdoor planted in a tampered logistics-software update.", ("backdoor",)
    ),
    "tallyspy": Software(
        "TallySpy", "Keylogger collecting credentials of staff webmail.", ("keylogger", "spyware")
    ),
}

TOOLS: dict[str, Software] = {
    "quadcopter": Software(
        "Modified hobby quadcopter",
        "Off-the-shelf quadcopter with a replaced camera and extended battery.",
        ("information-gathering",),
    ),
    "sprayer-drone": Software(
        "Agricultural sprayer drone",
        "Crop-spraying drone able to carry ten litres of liquid.",
        ("unknown",),
    ),
    "gnss-jammer": Software(
        "Portable navigation jammer",
        "Low-power jammer sold as a privacy device.",
        ("denial-of-service",),
    ),
}

VULNERABILITIES: dict[str, Text] = {
    "frg4": Text(
        "FRG-4 field radio gateway authentication bypass",
        "Crafted requests to the management page of the FRG-4 gateway skip authentication.",
    ),
    "traindesk": Text(
        "TrainDesk scheduling server path traversal",
        "The TrainDesk course scheduler serves any file of the server to unauthenticated users.",
    ),
    "corvid": Text(
        "Corvid VPN concentrator pre-authentication overflow",
        "A long login field crashes the Corvid concentrator and allows code execution.",
    ),
    "stocklink": Text(
        "StockLink logistics client update without signature check",
        "The StockLink client installs updates without checking the vendor signature.",
    ),
}
