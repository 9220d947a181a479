"""Invented incident reports and information-security advisories."""

from __future__ import annotations

from accord.demo.narratives import Story

S = Story

INCIDENT: tuple[Story, ...] = (
    S(
        "Night-time probing of the Varenholm perimeter",
        "Over four nights two persons approached the north gate and fence, timing the guard "
        "response. Badge readers logged three failed attempts with cloned cards.",
        "varenholm",
        "perimeter-probe",
        "grey-heron",
        ("random-patrols",),
    ),
    S(
        "Satellite-navigation jamming on the Port Aldwyn approach",
        "Harbour pilots and two patrol aircraft reported navigation loss for 25 minutes. "
        "Direction finding located a parked van near the coastal road.",
        "aldwyn",
        "gnss-jam",
        "quiet-ferry",
        ("gnss-holdover",),
        "gnss-jammer",
    ),
    S(
        "Planning documents copied at Brenvik depot",
        "A departing logistics officer copied exercise load plans to a private stick. "
        "The copy was found at the exit check; no onward transfer is known.",
        "brenvik",
        "insider-copy",
        "",
        ("two-person-rule",),
    ),
    S(
        "Denial of service against the Castrelian recruitment portal",
        "The recruitment portal was unavailable for six hours on the day of the annual "
        "intake announcement. Traffic came from rented servers in several ranges.",
        "castelardo",
        "ddos-portal",
        "rust-kite",
        ("upstream-scrubbing",),
    ),
    S(
        "Intrusion attempt through the Tarskov crossing network",
        "Border post terminals received connections from addresses linked to a known "
        "access broker. The gateway was isolated within an hour.",
        "tarskov",
        "vpn-exploit",
        "hollow-lantern",
        ("patch-72h", "hardware-tokens"),
        "",
        "corvid",
    ),
    S(
        "Unidentified vehicles photographing the Dunskarra gate",
        "The same two cars stopped at the main gate of Dunskarra on five exercise days. "
        "Plates were false; the occupants filmed convoys leaving the area.",
        "dunskarra",
        "hostile-surveillance",
        "grey-heron",
        ("countersurveillance",),
    ),
    S(
        "Radar site outage at Lunaport after remote access",
        "The coastal radar went offline after a maintenance contractor's account was used "
        "from an unknown address at night.",
        "lunaport",
        "vpn-exploit",
        "hollow-lantern",
        ("hardware-tokens",),
    ),
    S(
        "Cloned badges found at Castelardo garrison",
        "Guards found two cloned access badges with a visitor. Cards had been copied from "
        "a badge left unattended in a canteen.",
        "castelardo",
        "perimeter-probe",
        "",
        ("random-patrols",),
    ),
)

INFOSEC: tuple[Story, ...] = (
    S(
        "Advisory: phishing with exercise-planning lures",
        "Staffs of three members received e-mails imitating the exercise planning cell, "
        "linking to a fake webmail login. LedgerFox was installed on one workstation.",
        "castelardo",
        "spearphish",
        "grey-heron",
        ("report-phish", "hardware-tokens"),
        "ledgerfox",
    ),
    S(
        "Advisory: FRG-4 field radio gateway flaw exploited",
        "Attackers used an authentication bypass in FRG-4 gateways reachable from the "
        "internet to install an implant.",
        "dunskarra",
        "vpn-exploit",
        "hollow-lantern",
        ("patch-72h",),
        "tallyspy",
        "frg4",
    ),
    S(
        "Advisory: QuillWorm on classroom computers",
        "USB sticks labelled as exercise material spread QuillWorm on classroom "
        "computers at Lake Orrin; no classified network was reached.",
        "orrin",
        "usb-drop",
        "",
        ("block-removable",),
        "quillworm",
    ),
    S(
        "Advisory: tampered StockLink update",
        "A StockLink logistics client update carried the PatchDrop backdoor. The "
        "vendor's distribution server was compromised for nine days.",
        "brenvik",
        "supply-update",
        "grey-heron",
        ("signed-updates",),
        "patchdrop",
        "stocklink",
    ),
    S(
        "Advisory: Corvid VPN concentrators under attack",
        "Mass scanning for Corvid concentrators started two days after the flaw became "
        "known. Two members patched within 72 hours and saw no compromise.",
        "aldwyn",
        "vpn-exploit",
        "hollow-lantern",
        ("patch-72h", "hardware-tokens"),
        "tallyspy",
        "corvid",
    ),
    S(
        "Advisory: TrainDesk scheduler exposing course files",
        "A path traversal in the TrainDesk scheduler exposed course lists with names of "
        "instructors. Servers were taken offline until patched.",
        "castelardo",
        "vpn-exploit",
        "",
        ("patch-72h",),
        "tallyspy",
        "traindesk",
    ),
    S(
        "Advisory: webmail credential theft by TallySpy",
        "TallySpy keyloggers on home computers of staff collected webmail passwords; "
        "hardware tokens stopped every login attempt.",
        "varenholm",
        "spearphish",
        "grey-heron",
        ("hardware-tokens", "report-phish"),
        "tallyspy",
    ),
    S(
        "Advisory: LedgerFox infrastructure update",
        "New LedgerFox command servers were observed after partners blocked the old ones. "
        "Beacons keep the same 15-minute interval.",
        "tarskov",
        "spearphish",
        "grey-heron",
        ("report-phish",),
        "ledgerfox",
    ),
)
