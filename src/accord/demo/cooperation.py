"""The demo's cooperation modules: working group, liaison, exercises, events, news.

Written after the exchange content, in the same transaction. The working group and
liaison go through their services (which check their own rules, as a user would);
exercises, their lessons learned and cooperation events are well-formed STIX objects
of Accord's types written through the one ingest path on their modules' behalf. A few
TLP:CLEAR + open events are released for public coverage, so the news page, its feed
and the digest have something to show. Everything is invented: organizations, people,
places and coordinates.

Ids of the objects written here directly derive from the seed; the services' own
objects get fresh ids and the time of the build, as they would in use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord.cooperation import coverage, liaison, workgroup
from accord.cooperation.roles import Status
from accord.cooperation.types import COOPERATION_EVENT, EXERCISE, new_sdo_extension
from accord.db.base import utcnow
from accord.demo import coalition
from accord.demo.stix import Ids, StixDict, marked, stamp
from accord.errors import AccordError
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.ingest import Status as Outcome
from accord.intel.ingest import WriteDefaults, ingest
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.service import create_group
from accord.sharing.tlp import Tlp

# The organization that chairs the demo's expert working group (coalition key and name).
WORKGROUP_KEY = "ewg"
WORKGROUP = coalition.org(WORKGROUP_KEY).name
LESSON_LABEL = "lesson-learned"  # as accord.cooperation.exercises labels lessons

# Who acts: an organization key -> the user (e-mail) acting for it; fresh principals.
Act = Callable[[str], Principal]


@dataclass(frozen=True)
class Built:
    """What this part of the demo made (for its tests and the printed summary)."""

    agenda_items: int
    channels: int
    exercises: int
    events: int
    released: list[str]


def build(
    session: Session,
    orgs: dict[str, Organization],
    principal_of: Callable[[str], Principal],
    seed: int,
    actor: str,
) -> Built:
    """Write every module's demo content; `principal_of(email)` is a fresh principal."""

    def act(org_key: str) -> Principal:
        return principal_of(coalition.publisher(org_key).email)

    now = utcnow().replace(microsecond=0)
    items = _working_group(session, orgs, act, now)
    channels = _liaison(session, act, now)
    ids = Ids(seed)
    exercises = _exercises(session, orgs, act, ids, actor)
    events, released = _events(session, orgs, act, ids, exercises)
    return Built(items, channels, len(exercises), events, released)


class _Refused(AccordError):
    code = "demo"


def _ingest(session: Session, writer: Principal, objects: list[StixDict], published: bool) -> None:
    """On the module's behalf, as the exercise and event services write."""
    result = ingest(session, writer, objects, WriteDefaults(published=published, by_module=True))
    refused = [r for r in result.results if r.status is Outcome.REFUSED]
    if refused:
        raise _Refused(f"demo object {refused[0].id} refused: {refused[0].reason}")


# --- the expert working group ----------------------------------------------------------

_ISSUES = (
    # (proposing org, name, description, supporters with opinions, final status)
    (
        "ald-gs",
        "Common reporting format for small-drone incidents",
        "Each staff reports drone incursions its own way; a common minimum format would let "
        "the coalition compare them within a day.",
        (("bor-gs", "strongly-agree"), ("dra-gs", "agree"), ("cas-mod", "agree")),
        Status.DECIDED,
    ),
    (
        "cas-mod",
        "Exchange of CBRN first-responder training curricula",
        "Share the curricula of chemical and biological first-responder courses and agree "
        "on a common core of four modules.",
        (("bor-dd", "agree"), ("ald-mod", "agree")),
        Status.DECIDED,
    ),
    (
        "bor-dd",
        "Joint glossary of counter-terrorism terms",
        "Translate and align the terms the staffs use in counter-terrorism reporting.",
        (("cas-mod", "strongly-agree"), ("ald-mod", "neutral")),
        Status.SCHEDULED,
    ),
    (
        "dra-gs",
        "Annual calendar of joint exercises",
        "One calendar of the coalition's joint exercises, agreed each autumn for the next year.",
        (("ald-gs", "agree"), ("bor-gs", "agree"), ("cas-mod", "disagree")),
        Status.ACCEPTED,
    ),
    (
        "bor-gs",
        "Secure video link between general staffs",
        "A standing secure video link for short-notice consultations between general staffs.",
        (("ald-gs", "agree"),),
        Status.PROPOSED,
    ),
    (
        "ald-mod",
        "Shared register of defence network advisories",
        "A register of advisories on defence networks, kept by one staff for all.",
        (),
        Status.WITHDRAWN,
    ),
)


def _working_group(session: Session, orgs: dict[str, Organization], act: Act, now: datetime) -> int:
    wg = orgs[WORKGROUP_KEY]
    chair = act(WORKGROUP_KEY)
    sharing = workgroup.requested_sharing(Distribution.NODE, None, Tlp.GREEN)
    day = now.replace(hour=8, minute=0, second=0)
    past = workgroup.create_session(
        session,
        chair,
        wg,
        workgroup.SessionFields(
            name="Autumn session of the expert working group",
            description="Regular session: reporting formats and CBRN training.",
            start_time=day - timedelta(days=40),
            end_time=day - timedelta(days=39, hours=-8),
            location="Coalition secretariat, Velden conference hall",
            participants=[coalition.org(k).name for k in ("ewg", "ald-gs", "bor-gs", "cas-mod")],
        ),
        sharing,
    )
    upcoming = workgroup.create_session(
        session,
        chair,
        wg,
        workgroup.SessionFields(
            name="Winter session of the expert working group",
            description="Regular session: terminology and the exercise calendar.",
            start_time=day + timedelta(days=30),
            end_time=day + timedelta(days=31, hours=-8),
            location="Borvanian Defence Department, Harrow Gate hall",
        ),
        sharing,
    )
    decided: list[str] = []
    for proposer, name, description, supporters, final in _ISSUES:
        item = workgroup.propose(session, act(proposer), wg, name, description, sharing)
        for org_key, opinion in supporters:
            workgroup.support(session, act(org_key), wg, item.id, opinion, "")
        if supporters:
            first = supporters[0][0]
            workgroup.comment(
                session, act(first), wg, item.id, f"{coalition.org(first).name} will take part."
            )
        if final is Status.WITHDRAWN:
            workgroup.move(session, act(proposer), wg, item.id, Status.WITHDRAWN)
            continue
        if final is Status.PROPOSED:
            continue
        workgroup.move(session, chair, wg, item.id, Status.ACCEPTED)
        if final is Status.ACCEPTED:
            continue
        target = past.id if final is Status.DECIDED else upcoming.id
        workgroup.move(session, chair, wg, item.id, Status.SCHEDULED, target)
        if final is Status.DECIDED:
            workgroup.move(session, chair, wg, item.id, Status.DISCUSSED)
            decided.append(item.id)
    workgroup.update_session(
        session,
        chair,
        wg,
        past.id,
        workgroup.SessionFields(
            minutes="Opened by the chair. The Aldorian General Staff presented the draft drone "
            "incident format; the Castrelian Ministry of Defence presented the CBRN curricula. "
            "Both were agreed with minor changes."
        ),
    )
    workgroup.decide(
        session,
        chair,
        wg,
        past.id,
        "The common drone incident format is adopted from next quarter.",
        decided[:1],
    )
    workgroup.decide(
        session,
        chair,
        wg,
        past.id,
        "A common core of four CBRN first-responder modules is agreed; curricula are shared.",
        decided[1:],
    )
    return len(_ISSUES)


# --- liaison between staffs --------------------------------------------------------------


def _liaison(session: Session, act: Act, now: datetime) -> int:
    names = {key: coalition.org(key).name for key in ("ald-gs", "bor-gs", "cas-mod", "slso")}
    staff = liaison.create_channel(
        session,
        act("ald-gs"),
        "Aldorian-Borvanian staff talks",
        [names["bor-gs"]],
        "Regular contacts between the two general staffs.",
        Tlp.GREEN,
    )
    first = liaison.post_message(
        session,
        act("ald-gs"),
        staff.id,
        "Please confirm the date of the next border coordination meeting.",
        "Next border coordination meeting",
    )
    liaison.acknowledge(session, act("bor-gs"), first.id)
    liaison.post_message(
        session,
        act("bor-gs"),
        staff.id,
        "Confirmed for the second Tuesday of next month, at Harrow Gate.",
        "Re: Next border coordination meeting",
        in_reply_to=first.id,
    )
    liaison.post_message(
        session,
        act("ald-gs"),
        staff.id,
        "Our drone incident summary for the quarter is ready; we propose to present it.",
        "Quarterly drone incident summary",
    )  # left unacknowledged: it shows in the reminders
    littoral = liaison.create_channel(
        session,
        act("cas-mod"),
        "Littoral counter-terrorism liaison",
        [names["slso"]],
        "Castrelian Ministry of Defence and the Southern Littoral Security Organization.",
        Tlp.GREEN,
    )
    notice = liaison.post_message(
        session,
        act("cas-mod"),
        littoral.id,
        "The harbour protection drill is moved by one week; details follow.",
        "Harbour protection drill",
    )
    liaison.acknowledge(session, act("slso"), notice.id)
    start = (now + timedelta(days=7)).replace(hour=9, minute=0, second=0)
    liaison.schedule_consultation(
        session,
        act("ald-gs"),
        staff.id,
        liaison.ConsultationFields(
            name="Monthly staff consultation",
            start_time=start,
            duration_minutes=90,
            frequency="monthly",
            description="Standing agenda: border situation, drone incidents, exercises.",
            location="Secure video link",
        ),
    )
    liaison.schedule_consultation(
        session,
        act("cas-mod"),
        littoral.id,
        liaison.ConsultationFields(
            name="Fortnightly littoral security call",
            start_time=start + timedelta(days=2),
            duration_minutes=60,
            frequency="weekly",
            interval=2,
            until=start + timedelta(days=180),
        ),
    )
    contacts = (
        ("ald-gs", "Col. Jonah Ardelle", "Head of liaison", "+000 10 555 0101"),
        ("bor-gs", "Lt Col. Oren Talvik", "Duty officer, operations", "+000 20 555 0102"),
        ("cas-mod", "Cdr. Inez Caravel", "CBRN desk", "+000 30 555 0103"),
        ("slso", "Karim Dunessa", "Security cooperation officer", "+000 40 555 0104"),
        (WORKGROUP_KEY, "Petra Lindqvar", "Secretary of the expert working group", None),
    )
    for org_key, name, function, phone in contacts:
        email = coalition.publisher(org_key).email
        liaison.add_contact(
            session, act(org_key), liaison.ContactFields(name, function, phone, email)
        )
    return 2


# --- joint exercises and their lessons learned ---------------------------------------------


@dataclass(frozen=True)
class _Exercise:
    key: str
    planner: str
    name: str
    description: str
    objectives: tuple[str, ...]
    other_objectives: tuple[str, ...]
    contingents: tuple[tuple[str, int], ...]
    observers: tuple[str, ...]
    phases: tuple[tuple[str, datetime, datetime, str], ...]
    lessons: tuple[tuple[str, str, str, str], ...]  # (org, kind, title, text)


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 8, 0, tzinfo=UTC)


_EXERCISES = (
    _Exercise(
        "steppe-shield",
        "ald-gs",
        "Steppe Shield 2026",
        "Detecting and defeating small unmanned aircraft over a border crossing.",
        ("countering-uav", "crisis-response"),
        ("Shared air picture between two staffs",),
        (("ald-gs", 120), ("bor-gs", 80), ("dra-gs", 45)),
        ("vel-mod", "tar-obs"),
        (
            ("Planning conference", _at(2026, 3, 10), _at(2026, 3, 12), "Velden, Aldoria"),
            ("Field phase", _at(2026, 5, 18), _at(2026, 5, 29), "Karsk training area, Aldoria"),
            ("After-action review", _at(2026, 6, 10), _at(2026, 6, 11), "Velden, Aldoria"),
        ),
        (
            (
                "bor-gs",
                "note",
                "Radio handover between sectors was late",
                "Hand over a drone track between sectors by data link first, voice second.",
            ),
            (
                "ald-gs",
                "course-of-action",
                "Layered detection at border crossings",
                "Combine passive radio-frequency sensors with one radar per crossing; "
                "share tracks within the minute.",
            ),
        ),
    ),
    _Exercise(
        "clear-harbour",
        "cas-mod",
        "Clear Harbour 2026",
        "Preventing a chemical attack in a harbour: detection, cordon and decontamination.",
        ("preventing-cbrn-terrorism", "counter-terrorism-operations"),
        (),
        (("cas-mod", 150), ("bor-dd", 40), ("slso", 30)),
        ("tar-obs",),
        (
            ("Table-top", _at(2026, 8, 24), _at(2026, 8, 25), "Port Sarren, Castrelia"),
            ("Live phase", _at(2026, 9, 14), _at(2026, 9, 18), "Port Sarren harbour, Castrelia"),
        ),
        (
            (
                "slso",
                "note",
                "Decontamination lines need shared signage",
                "Teams from three organizations used three sets of signs; agree on one.",
            ),
        ),
    ),
    _Exercise(
        "iron-lattice",
        "bor-dd",
        "Iron Lattice 2027",
        "Defending defence networks against a coordinated intrusion campaign.",
        ("information-security",),
        ("Incident exchange within four hours",),
        (("bor-dd", 25), ("ald-mod", 15), ("cas-mod", 12)),
        ("vel-mod",),
        (
            ("Preparation", _at(2027, 1, 18), _at(2027, 1, 22), "Harrow Gate, Borvania"),
            ("Cyber range phase", _at(2027, 2, 8), _at(2027, 2, 12), "Harrow Gate, Borvania"),
        ),
        (),
    ),
)


def _shared(
    stix_type: str,
    stix_id: str,
    owner: Organization,
    when: datetime,
    distribution: Distribution,
    group: str | None,
    tlp: Tlp,
) -> StixDict:
    moment = stamp(min(when, utcnow() - timedelta(minutes=1)))
    obj: StixDict = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": stix_id,
        "created": moment,
        "modified": moment,
        "created_by_ref": owner.identity_id,
        "extensions": {EXTENSION_ID: sharing_extension(distribution.value, group)},
    }
    if stix_type in (EXERCISE, COOPERATION_EVENT):
        obj["extensions"].update(new_sdo_extension(stix_type))
    return marked(obj, tlp)


def _exercises(
    session: Session, orgs: dict[str, Organization], act: Act, ids: Ids, actor: str
) -> dict[str, str]:
    """Each exercise with a sharing group made for it (planner, contingents, observers)."""
    made: dict[str, str] = {}
    for spec in _EXERCISES:
        taking_part = [spec.planner, *(k for k, _ in spec.contingents), *spec.observers]
        members = [orgs[k] for k in dict.fromkeys(taking_part)]
        group = create_group(
            session,
            actor,
            f"Exercise: {spec.name}",
            orgs[spec.planner],
            members,
            description="made for a joint exercise: the planner, its contingents and observers",
        ).id
        start, end = spec.phases[0][1], spec.phases[-1][2]
        obj = _shared(
            EXERCISE,
            ids.of(EXERCISE, spec.key),
            orgs[spec.planner],
            start - timedelta(days=60),
            Distribution.GROUP,
            group,
            Tlp.GREEN,
        )
        obj.update(
            name=spec.name,
            description=spec.description,
            start_time=stamp(start),
            end_time=stamp(end),
            objectives=list(spec.objectives),
            contingents=[
                {"organization_ref": orgs[k].identity_id, "personnel": n}
                for k, n in spec.contingents
            ],
            observer_refs=[orgs[k].identity_id for k in spec.observers],
            phases=[
                {"name": n, "start_time": stamp(s), "end_time": stamp(e), "location": where}
                for n, s, e, where in spec.phases
            ],
        )
        if spec.other_objectives:
            obj["other_objectives"] = list(spec.other_objectives)
        _ingest(session, act(spec.planner), [obj], published=True)
        made[spec.key] = obj["id"]
        for n, (org_key, kind, title, text) in enumerate(spec.lessons):
            when = end + timedelta(days=7 + n)
            lesson = _shared(
                kind,
                ids.of(kind, f"{spec.key}-lesson-{n}"),
                orgs[org_key],
                when,
                Distribution.GROUP,
                group,
                Tlp.GREEN,
            )
            lesson["labels"] = [LESSON_LABEL]
            objects = [lesson]
            if kind == "note":
                lesson.update(abstract=title, content=text, object_refs=[obj["id"]])
            else:
                lesson.update(name=title, description=text)
                link = _shared(
                    "relationship",
                    ids.of("relationship", f"{spec.key}-lesson-{n}"),
                    orgs[org_key],
                    when,
                    Distribution.GROUP,
                    group,
                    Tlp.GREEN,
                )
                link.update(relationship_type="related-to", source_ref=lesson["id"])
                link["target_ref"] = obj["id"]
                objects.append(link)
            _ingest(session, act(org_key), objects, published=True)
    return made


# --- cooperation events and public coverage ---------------------------------------------

# (key, owner, name, type, start, days, country, place, lat, lon, participants, public,
#  exercise). Countries are the coalition's invented ones (user-assigned ISO codes).
_EVENTS: tuple[tuple[Any, ...], ...] = (
    ("defence-ministers-2025", "ald-mod", "Meeting of defence ministers", "meeting",
     _at(2025, 10, 14), 2, "QM", "Velden", 47.61, 24.82,
     ("ald-mod", "bor-dd", "cas-mod"), True, None),
    ("cuas-conference", "ald-gs", "Conference on countering small drones", "conference",
     _at(2025, 12, 2), 3, "QM", "Karsk", 48.12, 25.95,
     ("ald-gs", "bor-gs", "dra-gs", "vel-mod"), True, None),
    ("staff-talks-winter", "bor-gs", "Aldorian-Borvanian staff talks", "meeting",
     _at(2026, 1, 20), 1, "QN", "Harrow Gate", 46.35, 27.40,
     ("ald-gs", "bor-gs"), False, None),
    ("littoral-visit", "slso", "Visit of the Southern Littoral delegation", "visit",
     _at(2026, 2, 17), 2, "QP", "Port Sarren", 43.05, 29.71,
     ("slso", "cas-mod"), False, None),
    ("steppe-shield-field", "ald-gs", "Steppe Shield 2026: field phase", "exercise",
     _at(2026, 5, 18), 11, "QM", "Karsk training area", 48.30, 26.10,
     ("ald-gs", "bor-gs", "dra-gs"), False, "steppe-shield"),
    ("cbrn-workshop", "cas-mod", "Workshop on CBRN first response", "conference",
     _at(2026, 6, 23), 2, "QP", "Castrel", 44.20, 28.55,
     ("cas-mod", "ald-mod", "bor-dd", "slso"), True, None),
    ("dravonia-visit", "dra-gs", "Visit of the Dravonian Chief of Staff", "visit",
     _at(2026, 7, 8), 1, "QR", "Dravo", 49.44, 23.10,
     ("dra-gs", "ald-gs"), False, None),
    ("clear-harbour-live", "cas-mod", "Clear Harbour 2026: live phase", "exercise",
     _at(2026, 9, 14), 4, "QP", "Port Sarren harbour", 43.02, 29.77,
     ("cas-mod", "bor-dd", "slso"), False, "clear-harbour"),
    ("netsec-meeting", "bor-dd", "Defence networks security meeting", "meeting",
     _at(2026, 10, 6), 1, "QN", "Harrow Gate", 46.35, 27.40,
     ("bor-dd", "ald-mod", "cas-mod", "dra-gs"), False, None),
    ("velmora-conference", "vel-mod", "Regional security conference", "conference",
     _at(2026, 11, 17), 2, "QV", "Marrevel", 45.80, 21.60,
     ("vel-mod", "ald-mod", "slso"), False, None),
    ("iron-lattice-range", "bor-dd", "Iron Lattice 2027: cyber range phase", "exercise",
     _at(2027, 2, 8), 4, "QN", "Harrow Gate", 46.35, 27.40,
     ("bor-dd", "ald-mod", "cas-mod"), False, "iron-lattice"),
    ("ministers-2027", "cas-mod", "Meeting of defence ministers", "meeting",
     _at(2027, 3, 23), 2, "QP", "Castrel", 44.20, 28.55,
     ("ald-mod", "bor-dd", "cas-mod", "dra-gs"), False, None),
)  # fmt: skip


def _events(
    session: Session,
    orgs: dict[str, Organization],
    act: Act,
    ids: Ids,
    exercises: dict[str, str],
) -> tuple[int, list[str]]:
    """Events shared with the node (TLP:GREEN), a few openly (TLP:CLEAR) and released."""
    released: list[str] = []
    for row in _EVENTS:
        key, owner, name, kind, start, days, country, place, lat, lon, who, public, ex = row
        end = start + timedelta(days=days - 1, hours=9)
        distribution = Distribution.OPEN if public else Distribution.NODE
        tlp = Tlp.CLEAR if public else Tlp.GREEN
        obj = _shared(
            COOPERATION_EVENT,
            ids.of(COOPERATION_EVENT, key),
            orgs[owner],
            start - timedelta(days=30),
            distribution,
            None,
            tlp,
        )
        obj.update(
            name=name,
            description=f"{name} in {place}, hosted by {orgs[owner].name}.",
            event_type=kind,
            start_time=stamp(start),
            end_time=stamp(end),
            country=country,
            place=place,
            latitude=lat,
            longitude=lon,
            participant_refs=[orgs[k].identity_id for k in who],
        )
        if ex is not None:
            obj["exercise_ref"] = exercises[ex]
        writer = act(owner)
        _ingest(session, writer, [obj], published=True)
        if public:
            coverage.release(session, writer, obj["id"])
            released.append(obj["id"])
    return len(_EVENTS), released
