"""What the working group's STIX objects say, read as a principal may see them.

Every query here goes through `visible_to` and `latest_for` (accord.sharing.rules):
an issue, a session, a comment or a support one cannot see does not exist, and
counts and tallies are made of what one can see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accord.cooperation.roles import Status
from accord.cooperation.types import AGENDA_ITEM, WG_SESSION
from accord.errors import NotFound
from accord.intel import timestamps
from accord.intel.models import StixObject
from accord.organizations.models import Organization, OrgKind
from accord.sharing.principal import Principal
from accord.sharing.rules import latest_for, visible_to
from accord.sharing.tlp import Tlp

# An issue's priority: the sum of its member organizations' current opinions.
SCORES = {"strongly-agree": 2, "agree": 1, "neutral": 0, "disagree": -1, "strongly-disagree": -2}


@dataclass(frozen=True)
class Support:
    org_id: str
    opinion: str
    version: str


@dataclass(frozen=True)
class Sharing:
    distribution: str
    sharing_group: str | None
    tlp: Tlp
    marking_refs: tuple[str, ...] = ()


@dataclass
class AgendaItem:
    id: str
    version: str
    name: str
    description: str
    status: Status
    proposed_by: str
    proposed_at: str
    session_id: str | None
    decision: str | None
    sharing: Sharing
    support: list[Support] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(SCORES[s.opinion] for s in self.support)


@dataclass(frozen=True)
class Decision:
    statement: str
    item_ids: list[str]


@dataclass
class WgSession:
    id: str
    version: str
    name: str
    description: str
    start_time: str
    end_time: str | None
    location: str | None
    participants: list[str]
    minutes: str
    decisions: list[Decision]
    sharing: Sharing


@dataclass(frozen=True)
class Comment:
    id: str
    org_id: str
    text: str
    created: str


@dataclass(frozen=True)
class Initiative:
    org_id: str
    name: str
    proposed: int
    decided: int
    withdrawn: int


def stix_of(row: StixObject) -> dict[str, Any]:
    return dict(orjson.loads(row.stix))


def sharing_of(row: StixObject, obj: dict[str, Any]) -> Sharing:
    return Sharing(
        row.distribution,
        row.sharing_group_id,
        Tlp(row.tlp),
        tuple(obj.get("object_marking_refs", ())),
    )


def _current(principal: Principal, stix_type: str) -> Select[StixObject]:
    o = StixObject
    return select(o).where(o.type == stix_type, visible_to(principal), latest_for(principal))


def _owned(principal: Principal, stix_type: str, owner_id: str) -> Select[StixObject]:
    return _current(principal, stix_type).where(StixObject.owner_org_id == owner_id)


def item_row(session: Session, principal: Principal, workgroup_id: str, item_id: str) -> StixObject:
    row = session.scalars(
        _owned(principal, AGENDA_ITEM, workgroup_id).where(StixObject.stix_id == item_id)
    ).first()
    if row is None:
        raise NotFound(f"no agenda item {item_id}")
    return row


def session_row(
    session: Session, principal: Principal, workgroup_id: str, session_id: str
) -> StixObject:
    row = session.scalars(
        _owned(principal, WG_SESSION, workgroup_id).where(StixObject.stix_id == session_id)
    ).first()
    if row is None:
        raise NotFound(f"no working-group session {session_id}")
    return row


def _item(row: StixObject) -> AgendaItem:
    obj = stix_of(row)
    return AgendaItem(
        id=row.stix_id,
        version=timestamps.display(row.modified),
        name=obj["name"],
        description=obj.get("description", ""),
        status=Status(obj["status"]),
        proposed_by=obj["proposed_by_ref"].removeprefix("identity--"),
        proposed_at=obj["created"],
        session_id=obj.get("session_ref"),
        decision=obj.get("decision"),
        sharing=sharing_of(row, obj),
    )


def wg_session(row: StixObject) -> WgSession:
    obj = stix_of(row)
    return WgSession(
        id=row.stix_id,
        version=timestamps.display(row.modified),
        name=obj["name"],
        description=obj.get("description", ""),
        start_time=obj["start_time"],
        end_time=obj.get("end_time"),
        location=obj.get("location"),
        participants=[r.removeprefix("identity--") for r in obj.get("participant_refs", ())],
        minutes=obj.get("minutes", ""),
        decisions=[
            Decision(d["statement"], list(d["agenda_item_refs"])) for d in obj.get("decisions", ())
        ],
        sharing=sharing_of(row, obj),
    )


def member_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Organization.id).where(Organization.kind == OrgKind.MEMBER)))


def _about(principal: Principal, stix_type: str, target: str) -> Select[StixObject]:
    """Current notes or opinions that may name `target` (the caller checks object_refs)."""
    return _current(principal, stix_type).where(StixObject.stix.contains(target, autoescape=True))


def _supports(session: Session, principal: Principal, items: list[AgendaItem]) -> None:
    """Fill each item's support: the newest opinion of each member organization."""
    if not items:
        return
    by_id = {item.id: item for item in items}
    members = member_ids(session)
    newest: dict[tuple[str, str], StixObject] = {}
    rows = session.scalars(
        _about(principal, "opinion", f'"{AGENDA_ITEM}--').where(
            StixObject.owner_org_id.in_(sorted(members))
        )
    )
    for row in rows:
        for ref in stix_of(row)["object_refs"]:
            key = (ref, row.owner_org_id)
            if ref in by_id and (key not in newest or newest[key].modified < row.modified):
                newest[key] = row
    for (item_id, org_id), row in sorted(newest.items()):
        opinion = stix_of(row)["opinion"]
        by_id[item_id].support.append(Support(org_id, opinion, timestamps.display(row.modified)))


def get_item(session: Session, principal: Principal, workgroup_id: str, item_id: str) -> AgendaItem:
    item = _item(item_row(session, principal, workgroup_id, item_id))
    _supports(session, principal, [item])
    return item


def _items(session: Session, principal: Principal, workgroup_id: str) -> list[AgendaItem]:
    return [_item(row) for row in session.scalars(_owned(principal, AGENDA_ITEM, workgroup_id))]


def list_items(
    session: Session,
    principal: Principal,
    workgroup_id: str,
    statuses: Iterable[Status] = (),
    session_id: str | None = None,
) -> list[AgendaItem]:
    """Visible issues, highest priority first, then in the order they were proposed."""
    wanted = set(statuses)
    items = [
        item
        for item in _items(session, principal, workgroup_id)
        if (not wanted or item.status in wanted)
        and (session_id is None or item.session_id == session_id)
    ]
    _supports(session, principal, items)
    items.sort(key=lambda i: (-i.score, i.proposed_at, i.id))
    return items


def list_sessions(session: Session, principal: Principal, workgroup_id: str) -> list[WgSession]:
    rows = session.scalars(_owned(principal, WG_SESSION, workgroup_id))
    return sorted(map(wg_session, rows), key=lambda s: (s.start_time, s.id))


def own_opinion(session: Session, principal: Principal, item_id: str) -> StixObject | None:
    """The caller's organization's current opinion on an issue, if it gave one."""
    rows = session.scalars(
        _about(principal, "opinion", item_id)
        .where(StixObject.owner_org_id == principal.org_id)
        .order_by(StixObject.modified.desc())
    )
    return next((r for r in rows if item_id in stix_of(r)["object_refs"]), None)


def comments(
    session: Session, principal: Principal, workgroup_id: str, item_id: str
) -> list[Comment]:
    """Notes on an issue by member organizations and the chair, oldest first."""
    authors = member_ids(session) | {workgroup_id}
    rows = session.scalars(
        _about(principal, "note", item_id).where(StixObject.owner_org_id.in_(sorted(authors)))
    )
    found = [
        Comment(row.stix_id, row.owner_org_id, obj["content"], obj["created"])
        for row in rows
        if item_id in (obj := stix_of(row))["object_refs"]
    ]
    return sorted(found, key=lambda c: (c.created, c.id))


def initiative(session: Session, principal: Principal, workgroup_id: str) -> list[Initiative]:
    """Who proposed what, per organization, counted over the issues the caller sees."""
    counts: dict[str, dict[Status | None, int]] = {}
    for item in _items(session, principal, workgroup_id):
        tally = counts.setdefault(item.proposed_by, {})
        tally[None] = tally.get(None, 0) + 1
        tally[item.status] = tally.get(item.status, 0) + 1
    orgs = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(sorted(counts)))
    )
    names = {org.id: org.name for org in orgs}
    result = [
        Initiative(
            org_id,
            names.get(org_id, org_id),
            tally[None],
            tally.get(Status.DECIDED, 0),
            tally.get(Status.WITHDRAWN, 0),
        )
        for org_id, tally in counts.items()
    ]
    return sorted(result, key=lambda i: (-i.proposed, i.name))
