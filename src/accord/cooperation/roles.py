"""Who may do what in the expert working group, and how an issue moves.

The chair is the working group's own organization (setting ACCORD_WORKGROUP_ORG): its
admins, org-admins and analysts accept, schedule, mark discussed, decide and withdraw
issues, and keep the sessions. Participants are the users of member organizations
who may publish (admin, org-admin, analyst): they propose, comment and support. The
organization that proposed an issue may withdraw it while it is only proposed.
Observers, contributors, partner and other non-member organizations, and peer nodes
read what the access rule lets them read and never write here.
"""

from __future__ import annotations

import enum

from accord.errors import Conflict, Forbidden
from accord.identity.models import Role
from accord.organizations.models import Organization, OrgKind
from accord.sharing.principal import Principal

_ACTIVE_ROLES = frozenset({Role.ADMIN, Role.ORG_ADMIN, Role.ANALYST})


class Status(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    DISCUSSED = "discussed"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Actor(enum.Enum):
    CHAIR = "the chair"
    PROPOSER = "the proposing organization"


_CHAIR = frozenset({Actor.CHAIR})
# (from, to) -> who may take the step. Absent pairs are not steps at all.
STEPS: dict[tuple[Status, Status], frozenset[Actor]] = {
    (Status.PROPOSED, Status.ACCEPTED): _CHAIR,
    (Status.PROPOSED, Status.WITHDRAWN): frozenset({Actor.CHAIR, Actor.PROPOSER}),
    (Status.ACCEPTED, Status.SCHEDULED): _CHAIR,
    (Status.ACCEPTED, Status.WITHDRAWN): _CHAIR,
    (Status.SCHEDULED, Status.SCHEDULED): _CHAIR,  # moved to another session
    (Status.SCHEDULED, Status.DISCUSSED): _CHAIR,
    (Status.SCHEDULED, Status.WITHDRAWN): _CHAIR,
    (Status.DISCUSSED, Status.SCHEDULED): _CHAIR,  # carried over to a later session
    (Status.DISCUSSED, Status.DECIDED): _CHAIR,
    (Status.DISCUSSED, Status.WITHDRAWN): _CHAIR,
}
OPEN_STATUSES = frozenset({Status.PROPOSED, Status.ACCEPTED, Status.SCHEDULED, Status.DISCUSSED})


def is_chair(principal: Principal, workgroup: Organization) -> bool:
    return (
        principal.is_user and principal.org_id == workgroup.id and principal.role in _ACTIVE_ROLES
    )


def require_chair(principal: Principal, workgroup: Organization, doing: str) -> None:
    if not is_chair(principal, workgroup):
        raise Forbidden(f"only the chair ({workgroup.name}) may {doing}")


def require_participant(principal: Principal, org: Organization | None) -> None:
    """A user of a member organization whose role may publish; `org` is the user's."""
    if not principal.is_user or org is None:
        raise Forbidden("only users of member organizations take part in the working group")
    if principal.role is Role.OBSERVER:
        raise Forbidden("observers read; they never write")
    if principal.role not in _ACTIVE_ROLES:
        raise Forbidden("your role may not take part: an analyst of your organization may")
    if org.kind is not OrgKind.MEMBER:
        raise Forbidden(
            f"only member organizations take part in the working group; "
            f"{org.name} is a {org.kind.value} organization"
        )


def check_step(
    principal: Principal,
    workgroup: Organization,
    proposer_org_id: str,
    org: Organization | None,
    current: Status,
    target: Status,
) -> None:
    """Refuse a step the issue's status does not allow (409) or the caller may not take (403)."""
    allowed = STEPS.get((current, target))
    if allowed is None:
        raise Conflict(f"an issue that is {current} cannot become {target}")
    if Actor.CHAIR in allowed and is_chair(principal, workgroup):
        return
    if Actor.PROPOSER in allowed and principal.org_id == proposer_org_id:
        require_participant(principal, org)
        return
    who = " or ".join(actor.value for actor in Actor if actor in allowed)
    raise Forbidden(f"only {who} may make an issue that is {current} {target}")
