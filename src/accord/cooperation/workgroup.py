"""The expert working group: an agenda every member organization can shape.

Every issue (`x-accord-agenda-item`) and session (`x-accord-wg-session`) is a STIX
object owned by the working group's organization: a STIX object has one creator, and
each step of an issue is a new version of it, written through the one ingest path on
the working group's behalf and audited under the user who acted. `proposed_by_ref`
keeps whose initiative an issue was. Comments (`note`) and support (`opinion`, one
current opinion per organization and issue: a new support is a new version of it)
belong to the member organization that gave them and carry the issue's distribution,
sharing group and TLP, so whoever sees the issue sees them. Who may do what is in
`roles`; what one may see is the access rule, through `records`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.cooperation import records
from accord.cooperation.records import AgendaItem, Sharing, WgSession
from accord.cooperation.roles import (
    OPEN_STATUSES,
    Status,
    check_step,
    require_chair,
    require_participant,
)
from accord.cooperation.types import AGENDA_ITEM, CUSTOM_TYPES, WG_SESSION, new_sdo_extension
from accord.db.base import utcnow
from accord.errors import Conflict, Invalid, NotFound
from accord.identity.models import Role
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.guards import WriteContext
from accord.intel.ingest import Status as Outcome
from accord.intel.ingest import WriteDefaults, ingest
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.models import sharing_group_orgs
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.tlp import Tlp


@dataclass(frozen=True)
class SessionFields:
    """What the chair gives for a session; None leaves a property as it is."""

    name: str | None = None
    description: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    location: str | None = None
    participants: list[str] | None = None
    minutes: str | None = None


def workgroup_org(session: Session, designation: str) -> Organization:
    """The local organization that hosts the working group (name or UUID)."""
    org = None
    if designation:
        org = session.scalars(
            select(Organization).where(
                or_(Organization.name == designation, Organization.id == designation)
            )
        ).first()
    if org is None or not org.is_local:
        raise NotFound("this node has no expert working group")
    return org


def own_org(session: Session, principal: Principal) -> Organization | None:
    return session.get(Organization, principal.org_id) if principal.org_id else None


def _as_workgroup(session: Session, principal: Principal, workgroup: Organization) -> Principal:
    """Who writes the working group's objects: the working group's organization, on
    behalf of (and audited as) the user who acted."""
    groups = session.scalars(
        select(sharing_group_orgs.c.group_id).where(sharing_group_orgs.c.org_id == workgroup.id)
    )
    return Principal(
        kind=PrincipalKind.USER,
        id=principal.id,
        label=principal.label,
        local_node_id=principal.local_node_id,
        org_id=workgroup.id,
        role=Role.ANALYST,
        node_id=workgroup.node_id,
        group_ids=frozenset(groups),
    )


def _write(session: Session, writer: Principal, objects: list[dict[str, Any]]) -> dict[str, str]:
    """Ingest, all or nothing; returns each stored id's version."""
    # The working group has checked its own rules: the write guards below let it through.
    result = ingest(session, writer, objects, WriteDefaults(published=True, by_module=True))
    if not result.ok:
        refused = next(r for r in result.results if r.status is Outcome.REFUSED)
        raise Invalid(refused.reason or "the object was refused")
    return {r.id: timestamps.display(r.version) for r in result.results if r.id and r.version}


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> None:
    append(session, principal.actor, f"workgroup.{action}", target, detail)


def _stamp(moment: datetime) -> str:
    return timestamps.format_stix(moment)


def _next_version(obj: dict[str, Any]) -> dict[str, Any]:
    new = dict(obj)
    previous = timestamps.parse(obj["modified"])
    new["modified"] = _stamp(max(utcnow(), previous + timedelta(milliseconds=1)))
    return new


def _new_object(stix_type: str, created_by: str, sharing: Sharing) -> dict[str, Any]:
    now = _stamp(utcnow())
    obj: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": created_by,
        "extensions": {
            EXTENSION_ID: sharing_extension(sharing.distribution, sharing.sharing_group)
        },
    }
    if sharing.marking_refs:
        obj["object_marking_refs"] = list(sharing.marking_refs)
    if stix_type in CUSTOM_TYPES:
        obj["extensions"].update(new_sdo_extension(stix_type))
    return obj


def requested_sharing(distribution: Distribution, sharing_group: str | None, tlp: Tlp) -> Sharing:
    """How a new issue or session is shared, as a request asks."""
    marking = tlp.marking_id
    return Sharing(distribution.value, sharing_group, tlp, (marking,) if marking else ())


def _check_sharing(principal: Principal, writer: Principal, sharing: Sharing) -> None:
    """The working group is shared beyond one organization, with a group both the
    caller and the working group's organization belong to."""
    if sharing.distribution == Distribution.ORG:
        raise Invalid(
            "the working group's objects are shared beyond one organization: "
            "choose node, federation, open or group"
        )
    group = sharing.sharing_group
    if (sharing.distribution == Distribution.GROUP) != (group is not None):
        raise Invalid("distribution group goes with a sharing group, and only it")
    if group is not None and group not in principal.group_ids:
        # Groups one is not in do not exist for one: the words ingest uses.
        raise Invalid(f"unknown sharing group {group}")
    if group is not None and group not in writer.group_ids:
        raise Invalid("the working group's organization is not a member of that sharing group")


def _organization_refs(session: Session, names_or_ids: list[str]) -> list[str]:
    refs: list[str] = []
    for wanted in names_or_ids:
        org = session.scalars(
            select(Organization).where(or_(Organization.name == wanted, Organization.id == wanted))
        ).first()
        if org is None:
            raise Invalid(f"unknown organization {wanted!r}")
        if org.identity_id in refs:
            raise Invalid(f"{org.name} is named twice among the participants")
        refs.append(org.identity_id)
    return refs


# --- issues ------------------------------------------------------------------------------


def propose(
    session: Session,
    principal: Principal,
    workgroup: Organization,
    name: str,
    description: str,
    sharing: Sharing,
) -> AgendaItem:
    """A member organization puts an issue on the agenda (status proposed)."""
    require_participant(principal, own_org(session, principal))
    writer = _as_workgroup(session, principal, workgroup)
    _check_sharing(principal, writer, sharing)
    obj = _new_object(AGENDA_ITEM, workgroup.identity_id, sharing)
    obj.update(name=name, status=Status.PROPOSED.value)
    obj["proposed_by_ref"] = f"identity--{principal.org_id}"
    if description:
        obj["description"] = description
    versions = _write(session, writer, [obj])
    _audit(
        session,
        principal,
        "propose",
        f"{obj['id']}@{versions[obj['id']]}",
        {"by": principal.org_id},
    )
    return records.get_item(session, principal, workgroup.id, obj["id"])


def move(
    session: Session,
    principal: Principal,
    workgroup: Organization,
    item_id: str,
    target: Status,
    session_id: str | None = None,
) -> AgendaItem:
    """One step of an issue's life: accept, schedule (for a session), mark discussed,
    withdraw. Deciding is recording a decision in a session (`decide`)."""
    if target is Status.DECIDED:
        raise Invalid("an issue is decided by recording a decision in its session")
    if target is Status.PROPOSED:
        raise Invalid("an issue is proposed once, when it is put on the agenda")
    row = records.item_row(session, principal, workgroup.id, item_id)
    obj = records.stix_of(row)
    current = Status(obj["status"])
    proposer = obj["proposed_by_ref"].removeprefix("identity--")
    check_step(principal, workgroup, proposer, own_org(session, principal), current, target)
    new = _next_version(obj)
    new["status"] = target.value
    if target is Status.SCHEDULED:
        if session_id is None:
            raise Invalid("give the session the issue is scheduled for")
        records.session_row(session, principal, workgroup.id, session_id)
        new["session_ref"] = session_id
    elif session_id is not None:
        raise Invalid("a session is given only when scheduling an issue")
    versions = _write(session, _as_workgroup(session, principal, workgroup), [new])
    _audit(
        session,
        principal,
        "move",
        f"{item_id}@{versions[item_id]}",
        {"from": current.value, "to": target.value, "session": new.get("session_ref")},
    )
    return records.get_item(session, principal, workgroup.id, item_id)


def _open_issue(
    session: Session, principal: Principal, workgroup: Organization, item_id: str
) -> AgendaItem:
    """An issue the caller sees and members may still comment on or support."""
    require_participant(principal, own_org(session, principal))
    item = records.get_item(session, principal, workgroup.id, item_id)
    if item.status not in OPEN_STATUSES:
        raise Conflict(f"the issue is {item.status}: it is closed")
    return item


def comment(
    session: Session, principal: Principal, workgroup: Organization, item_id: str, text: str
) -> records.Comment:
    """A member's comment: a STIX note on the issue, owned by the member's organization."""
    item = _open_issue(session, principal, workgroup, item_id)
    note = _new_object("note", f"identity--{principal.org_id}", item.sharing)
    note.update(content=text, object_refs=[item_id])
    versions = _write(session, principal, [note])
    _audit(
        session, principal, "comment", f"{note['id']}@{versions[note['id']]}", {"issue": item_id}
    )
    return records.Comment(note["id"], str(principal.org_id), text, note["created"])


def support(
    session: Session,
    principal: Principal,
    workgroup: Organization,
    item_id: str,
    opinion: str,
    explanation: str,
) -> AgendaItem:
    """A member organization's support for an issue: its one current STIX opinion on it."""
    if opinion not in records.SCORES:
        raise Invalid(f"opinion must be one of {', '.join(records.SCORES)}")
    item = _open_issue(session, principal, workgroup, item_id)
    previous = records.own_opinion(session, principal, item_id)
    if previous is None:
        obj = _new_object("opinion", f"identity--{principal.org_id}", item.sharing)
        obj["object_refs"] = [item_id]
    else:
        obj = _next_version(records.stix_of(previous))
        obj.pop("explanation", None)
    obj["opinion"] = opinion
    if explanation:
        obj["explanation"] = explanation
    versions = _write(session, principal, [obj])
    _audit(
        session,
        principal,
        "support",
        f"{obj['id']}@{versions[obj['id']]}",
        {"issue": item_id, "opinion": opinion},
    )
    return records.get_item(session, principal, workgroup.id, item_id)


# --- sessions ----------------------------------------------------------------------------


def _apply(session: Session, obj: dict[str, Any], fields: SessionFields) -> None:
    texts = {
        "name": fields.name,
        "description": fields.description,
        "location": fields.location,
        "minutes": fields.minutes,
    }
    for key, value in texts.items():
        if value:
            obj[key] = value
        elif value is not None:
            obj.pop(key, None)  # an empty text removes the property
    if fields.start_time is not None:
        obj["start_time"] = _stamp(fields.start_time)
    if fields.end_time is not None:
        obj["end_time"] = _stamp(fields.end_time)
    if fields.participants is not None:
        obj["participant_refs"] = _organization_refs(session, fields.participants)
        if not obj["participant_refs"]:
            del obj["participant_refs"]


def create_session(
    session: Session,
    principal: Principal,
    workgroup: Organization,
    fields: SessionFields,
    sharing: Sharing,
) -> WgSession:
    require_chair(principal, workgroup, "plan sessions")
    writer = _as_workgroup(session, principal, workgroup)
    _check_sharing(principal, writer, sharing)
    obj = _new_object(WG_SESSION, workgroup.identity_id, sharing)
    _apply(session, obj, fields)
    versions = _write(session, writer, [obj])
    _audit(session, principal, "session.create", f"{obj['id']}@{versions[obj['id']]}")
    return get_session(session, principal, workgroup, obj["id"])


def update_session(
    session: Session,
    principal: Principal,
    workgroup: Organization,
    session_id: str,
    fields: SessionFields,
) -> WgSession:
    """New date, place, participants or minutes: a new version of the session."""
    row = records.session_row(session, principal, workgroup.id, session_id)
    require_chair(principal, workgroup, "keep the sessions")
    obj = _next_version(records.stix_of(row))
    _apply(session, obj, fields)
    versions = _write(session, _as_workgroup(session, principal, workgroup), [obj])
    _audit(session, principal, "session.update", f"{session_id}@{versions[session_id]}")
    return get_session(session, principal, workgroup, session_id)


def decide(
    session: Session,
    principal: Principal,
    workgroup: Organization,
    session_id: str,
    statement: str,
    item_ids: list[str],
) -> WgSession:
    """Record a decision of a session on the issues it discussed there: the session gets
    the decision, linked to its issues, and each issue becomes decided, in one write."""
    session_obj = records.stix_of(records.session_row(session, principal, workgroup.id, session_id))
    require_chair(principal, workgroup, "record decisions")
    if not item_ids or len(set(item_ids)) != len(item_ids):
        raise Invalid("a decision names its issues, each once")
    changed: list[dict[str, Any]] = []
    for item_id in item_ids:
        obj = records.stix_of(records.item_row(session, principal, workgroup.id, item_id))
        proposer = obj["proposed_by_ref"].removeprefix("identity--")
        check_step(
            principal,
            workgroup,
            proposer,
            own_org(session, principal),
            Status(obj["status"]),
            Status.DECIDED,
        )
        if obj.get("session_ref") != session_id:
            raise Conflict(f"issue {item_id} was not discussed in this session")
        new = _next_version(obj)
        new.update(status=Status.DECIDED.value, decision=statement)
        changed.append(new)
    new_session = _next_version(session_obj)
    decision = {"statement": statement, "agenda_item_refs": item_ids}
    new_session["decisions"] = [*session_obj.get("decisions", ()), decision]
    writer = _as_workgroup(session, principal, workgroup)
    versions = _write(session, writer, [new_session, *changed])
    _audit(
        session,
        principal,
        "decide",
        f"{session_id}@{versions[session_id]}",
        {"issues": item_ids},
    )
    return get_session(session, principal, workgroup, session_id)


def get_session(
    session: Session, principal: Principal, workgroup: Organization, session_id: str
) -> WgSession:
    return records.wg_session(records.session_row(session, principal, workgroup.id, session_id))


def agenda(
    session: Session, principal: Principal, workgroup: Organization, session_id: str
) -> tuple[WgSession, list[AgendaItem]]:
    """A session's agenda: the issues scheduled for it, highest priority first."""
    wg_session = get_session(session, principal, workgroup, session_id)
    items = records.list_items(
        session, principal, workgroup.id, [Status.SCHEDULED], session_id=session_id
    )
    return wg_session, items


# --- write guards (accord.intel.guards) ----------------------------------------------------

_ENDPOINT = "/api/v1/workgroup"


def guard_own_types(context: WriteContext, obj: dict[str, Any]) -> str | None:
    """Issues and sessions are written by the working group alone: every other write path
    (REST objects, TAXII, the report form, file import) would skip who may take a step."""
    if context.by_module:
        return None
    what = "agenda issues" if obj.get("type") == AGENDA_ITEM else "working-group sessions"
    return (
        f"{what} are written through the working group ({_ENDPOINT}, or the Working group "
        "pages), which checks who may propose, move and decide"
    )


def guard_about_issues(context: WriteContext, obj: dict[str, Any]) -> str | None:
    """Support (`opinion`) and comments (`note`) on an agenda issue count only when a
    member took part through the working group: a vote from a non-member, or on a closed
    issue, is refused on every other path. Notes and opinions on anything else pass."""
    if context.by_module:
        return None
    refs = obj.get("object_refs")
    if not isinstance(refs, list) or not any(
        isinstance(ref, str) and ref.startswith(f"{AGENDA_ITEM}--") for ref in refs
    ):
        return None
    if obj.get("type") == "opinion":
        return f"support for an agenda issue is given through the working group ({_ENDPOINT})"
    return f"comments on an agenda issue are written through the working group ({_ENDPOINT})"
