"""Invented lessons learned: countering small drones, counter-terrorism, CBRN exercises."""

from __future__ import annotations

from accord.demo.narratives import Story

S = Story

CUAS: tuple[Story, ...] = (
    S(
        "Lessons learned: drone overflights of Varenholm Air Base",
        "Twelve overflights in three weeks showed that radio detection alone missed a third "
        "of flights. Observer posts filled the gap.",
        "varenholm",
        "uas-recon",
        "quiet-ferry",
        ("layered-detection", "observer-posts"),
        "quadcopter",
    ),
    S(
        "Swarm approach during exercise Iron Lantern",
        "Red team launched five drones at once against one sensor; operators tracked only "
        "two. A second sensor and a clear hand-over procedure fixed it.",
        "orrin",
        "uas-swarm",
        "",
        ("layered-detection", "rf-jamming"),
        "quadcopter",
    ),
    S(
        "Payload drops on parked vehicles: trial results",
        "Trials at Dunskarra dropped smoke canisters from hobby drones on vehicle parks. "
        "Light overhead cover defeated every drop.",
        "dunskarra",
        "uas-payload",
        "",
        ("hardened-cover",),
        "quadcopter",
    ),
    S(
        "Link-less drones over Port Aldwyn",
        "Drones flying preset routes without a radio link were not seen by radio "
        "detectors; cameras with motion analysis found them.",
        "aldwyn",
        "uas-silent",
        "quiet-ferry",
        ("passive-optical", "observer-posts"),
        "quadcopter",
    ),
    S(
        "Jamming side effects on own radios",
        "Omnidirectional jamming during a drone alert cut own tactical radios for "
        "eight minutes. Directional jammers and rules of engagement are now required.",
        "brenvik",
        "uas-recon",
        "",
        ("rf-jamming",),
        "quadcopter",
    ),
    S(
        "Coastal radar and small drones at Lunaport",
        "The coastal radar detected small drones only below 3 km; Velmoran observers "
        "suggest pairing it with optical sensors.",
        "lunaport",
        "uas-recon",
        "quiet-ferry",
        ("layered-detection",),
        "quadcopter",
    ),
    S(
        "Drone reporting card for guard units",
        "A one-page card lets any guard report a drone in under two minutes. Tested with "
        "four contingents at Lake Orrin.",
        "orrin",
        "uas-recon",
        "",
        ("observer-posts",),
        "quadcopter",
    ),
    S(
        "Night swarm trial at Tarskov",
        "A night trial of three drones from different directions showed that thermal "
        "cameras need their own operator during alerts.",
        "tarskov",
        "uas-swarm",
        "",
        ("passive-optical", "layered-detection"),
        "quadcopter",
    ),
)

CT: tuple[Story, ...] = (
    S(
        "Experience: detecting hostile surveillance at garrison gates",
        "Counter-surveillance teams at three gates identified a cell that had watched "
        "shift changes for six weeks before a planned attack.",
        "castelardo",
        "hostile-surveillance",
        "northwind",
        ("countersurveillance", "random-patrols"),
    ),
    S(
        "Experience: lone-actor attack at the Varenholm gate",
        "A man with a knife attacked a sentry at shift change. Stand-off barriers slowed "
        "him; the guard force stopped him within 40 seconds.",
        "varenholm",
        "lone-actor",
        "northwind",
        ("standoff-barriers",),
    ),
    S(
        "Experience: recruitment of conscripts through messaging groups",
        "Two conscripts were groomed in closed channels. Joint monitoring with police "
        "found the channel administrators.",
        "dunskarra",
        "online-recruit",
        "northwind",
        ("channel-monitoring",),
    ),
    S(
        "Experience: precursor purchases below reporting thresholds",
        "Retailers reported one buyer visiting eleven shops in two weeks. The aggregated "
        "pattern led to the arrest of a cell.",
        "sarnvale",
        "precursors",
        "northwind",
        ("precursor-thresholds",),
    ),
    S(
        "Experience: vehicle approach at the Tarskov crossing",
        "A van ignored signals at the crossing; staggered barriers stopped it 30 m from "
        "the post building.",
        "tarskov",
        "lone-actor",
        "",
        ("standoff-barriers", "random-patrols"),
    ),
    S(
        "Experience: surveillance of a port before a naval visit",
        "Persons photographed berths at Port Aldwyn before a partner's naval visit. "
        "Patrol times were changed and the visit went ahead.",
        "aldwyn",
        "hostile-surveillance",
        "northwind",
        ("countersurveillance",),
    ),
    S(
        "Experience: regional sharing of recruitment channel indicators",
        "The regional organization pooled channel names from four states; half of the "
        "channels appeared in more than one country.",
        "lunaport",
        "online-recruit",
        "northwind",
        ("channel-monitoring",),
    ),
    S(
        "Experience: guarding a joint exercise against a lone actor",
        "Layered access control at Lake Orrin kept a lone intruder outside the exercise "
        "camp; he was detained at the second fence.",
        "orrin",
        "lone-actor",
        "",
        ("standoff-barriers", "countersurveillance"),
    ),
)

CBRN: tuple[Story, ...] = (
    S(
        "Exercise Clear Harbour: drone aerosol scenario",
        "Contingents of four members rehearsed an aerosol release from a drone over a "
        "ceremony. Masking took four minutes; the target is one.",
        "aldwyn",
        "aerosol-uas",
        "",
        ("mask-drill", "decon-corridor"),
        "sprayer-drone",
    ),
    S(
        "Exercise Still Water: garrison water supply",
        "A simulant in a barracks water tank was found by sensors after 20 minutes; "
        "unlocked hatches were the main finding.",
        "castelardo",
        "water-contamination",
        "",
        ("water-sensors",),
    ),
    S(
        "Exercise Sealed Letter: powder letters at a ministry",
        "Staff followed the isolation drill well, but the mail room shared ventilation "
        "with offices. A separate screening site is planned.",
        "varenholm",
        "postal-agent",
        "",
        ("mail-screening", "decon-corridor"),
    ),
    S(
        "Exercise Quiet Plant: theft of industrial chemicals",
        "Police and plant operators traced missing cylinders in the Sarnvale plants in "
        "three hours thanks to joint inventory lists.",
        "sarnvale",
        "chemical-theft",
        "",
        ("inventory-checks",),
    ),
    S(
        "Exercise Grey Mist: decontamination corridor drill",
        "Two contingents set up a joint decontamination corridor in 34 minutes; "
        "shared equipment lists saved ten minutes.",
        "orrin",
        "aerosol-uas",
        "",
        ("decon-corridor", "mask-drill"),
        "sprayer-drone",
    ),
    S(
        "Exercise Open Field: sprayer drones at an air show",
        "Observers from partner organizations watched a scenario of a sprayer drone over "
        "an air show crowd; detection came from a spectator report.",
        "varenholm",
        "aerosol-uas",
        "",
        ("layered-detection", "mask-drill"),
        "sprayer-drone",
    ),
    S(
        "Exercise Dry Well: biological simulant at a field camp",
        "Field camp water points were tested with a biological simulant; sensors and "
        "locks were fitted within the exercise.",
        "dunskarra",
        "water-contamination",
        "",
        ("water-sensors", "decon-corridor"),
    ),
    S(
        "Exercise Port Watch: chemical threat at a harbour",
        "A scenario of stolen chemicals shipped through Lunaport exercised customs, navy "
        "and police together.",
        "lunaport",
        "chemical-theft",
        "",
        ("inventory-checks", "decon-corridor"),
    ),
)
