"""Sharing groups: create, list, read and change membership (all audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.errors import Forbidden, Invalid, NotFound
from accord.organizations.models import Node, Organization
from accord.organizations.service import local_node
from accord.sharing.models import SharingGroup, sharing_group_orgs
from accord.sharing.principal import Principal
from accord.sharing.rules import can_create_group, can_manage_group, can_see_group


def create_group(
    session: Session,
    actor: str,
    name: str,
    owner: Organization,
    members: list[Organization],
    nodes: list[Node] | None = None,
    description: str = "",
) -> SharingGroup:
    """A group owned by `owner`, which is always a member; carried by this node at least."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid("sharing group name must be 1 to 200 characters")
    member_list = list({o.id: o for o in [owner, *members]}.values())
    carriers = {n.id: n for n in [local_node(session), *(nodes or [])]}
    for org in member_list:
        carriers.setdefault(org.node_id, org.node)
    group = SharingGroup(
        name=name,
        description=description,
        owner_org_id=owner.id,
        members=member_list,
        nodes=list(carriers.values()),
    )
    session.add(group)
    session.flush()
    append(
        session,
        actor,
        "group.create",
        group.id,
        {"name": name, "members": sorted(o.id for o in member_list), "nodes": sorted(carriers)},
    )
    return group


def add_group(
    session: Session,
    principal: Principal,
    name: str,
    members: list[Organization],
    description: str = "",
) -> SharingGroup:
    if not can_create_group(principal):
        raise Forbidden("only an org-admin or admin may create sharing groups")
    assert principal.org_id is not None
    owner = session.get(Organization, principal.org_id)
    assert owner is not None
    return create_group(session, principal.actor, name, owner, members, description=description)


def groups_visible_to(session: Session, principal: Principal) -> list[SharingGroup]:
    query = select(SharingGroup).order_by(SharingGroup.name)
    return [g for g in session.scalars(query) if can_see_group(principal, g.id, g.owner_org_id)]


def get_group(session: Session, principal: Principal, group_id: str) -> SharingGroup:
    group = session.get(SharingGroup, group_id)
    if group is None or not can_see_group(principal, group.id, group.owner_org_id):
        raise NotFound(f"no sharing group {group_id}")
    return group


def _managed(session: Session, principal: Principal, group_id: str) -> SharingGroup:
    group = get_group(session, principal, group_id)
    if not can_manage_group(principal, group.owner_org_id):
        raise Forbidden("only the owner organization's org-admin or an admin may change this group")
    return group


def add_member(
    session: Session, principal: Principal, group_id: str, org: Organization
) -> SharingGroup:
    group = _managed(session, principal, group_id)
    if org not in group.members:
        group.members.append(org)
        if org.node not in group.nodes:
            group.nodes.append(org.node)
        append(session, principal.actor, "group.member.add", group.id, {"org": org.id})
    return group


def remove_member(
    session: Session, principal: Principal, group_id: str, org: Organization
) -> SharingGroup:
    group = _managed(session, principal, group_id)
    if org.id == group.owner_org_id:
        raise Invalid("the owner organization cannot leave its own group")
    if org in group.members:
        group.members.remove(org)
        append(session, principal.actor, "group.member.remove", group.id, {"org": org.id})
    return group


def member_ids(session: Session, group_id: str) -> set[str]:
    return set(
        session.scalars(
            select(sharing_group_orgs.c.org_id).where(sharing_group_orgs.c.group_id == group_id)
        )
    )
