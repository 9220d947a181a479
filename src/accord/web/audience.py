"""Who will see an object once published, in plain words: computed with `can_see`.

Each local organization is asked through the one access rule, as a user of it would
be; other nodes through a node principal. Nothing here decides visibility itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.identity.models import Role
from accord.organizations.service import list_organizations
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.rules import can_see
from accord.sharing.service import get_group, member_ids
from accord.sharing.tlp import Tlp
from accord.web.i18n import gettext as _


@dataclass(frozen=True)
class Planned:
    """An object version as it will be once published (satisfies rules.SharedObject)."""

    owner_org_id: str
    origin_node_id: str
    distribution: str
    sharing_group_id: str | None
    tlp: int
    published: bool = True


@dataclass
class Audience:
    sentence: str  # "Visible to: ..." in plain words
    organizations: list[str] = field(default_factory=list)  # local organizations that see it
    other_nodes: str | None = None  # words about other nodes, when it may leave this one
    narrowed_by_red: bool = False


def visible_group(
    session: Session, principal: Principal, group_id: str | None
) -> SharingGroup | None:
    if group_id is None:
        return None
    try:
        return get_group(session, principal, group_id)
    except NotFound:
        return None


def sentence(distribution: str, group: str | None, owner: str) -> str:
    if distribution == Distribution.ORG:
        return _("Visible to: %(org)s only.") % {"org": owner}
    if distribution == Distribution.NODE:
        return _("Visible to: every organization on this node.")
    if distribution == Distribution.FEDERATION:
        return _(
            "Visible to: every organization on this node and on partner nodes connected to it "
            "directly, under a sharing agreement."
        )
    if distribution == Distribution.OPEN:
        return _("Visible to: every organization on every connected node.")
    if group is None:
        return _("Visible to: organizations in a sharing group your organization is not in.")
    return _("Visible to: organizations in group %(group)s.") % {"group": group}


def audience(
    session: Session,
    principal: Principal,
    owner_org_id: str,
    distribution: str,
    group_id: str | None,
    tlp: int,
) -> Audience:
    planned = Planned(owner_org_id, principal.local_node_id, distribution, group_id, tlp)
    members = member_ids(session, group_id) if group_id else set()
    owner = ""
    seen: list[str] = []
    for org in list_organizations(session):
        if org.id == owner_org_id:
            owner = org.name
        if not org.is_local:
            continue
        viewer = Principal(
            kind=PrincipalKind.USER,
            id=f"preview:{org.id}",
            label="preview",
            local_node_id=principal.local_node_id,
            org_id=org.id,
            role=Role.OBSERVER,
            node_id=org.node_id,
            group_ids=frozenset({group_id}) if group_id and org.id in members else frozenset(),
        )
        if can_see(viewer, planned):
            seen.append(org.name)
    group = visible_group(session, principal, group_id)
    remote_carriers = group is not None and any(not n.is_local for n in group.nodes)
    peer = Principal(
        kind=PrincipalKind.NODE,
        id="preview:peer",
        label="preview",
        local_node_id=principal.local_node_id,
        node_id="preview:peer",
        group_ids=frozenset({group_id}) if group_id else frozenset(),
    )
    other_nodes = None
    if can_see(peer, planned) and (distribution != Distribution.GROUP or remote_carriers):
        other_nodes = (
            _("It may also travel to the other nodes that carry this group.")
            if distribution == Distribution.GROUP
            else _("It may also travel to partner nodes, as their sharing agreements allow.")
        )
    red = tlp == Tlp.RED and distribution not in (Distribution.GROUP, Distribution.ORG)
    return Audience(
        sentence(distribution, group.name if group else None, owner),
        seen,
        other_nodes,
        red,
    )
