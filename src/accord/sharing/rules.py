"""The access rules of DESIGN.md section 2, in one place.

`can_see` decides for one object version in Python; `visible_to` is the same rule as
a SQL condition over the `objects` table. Every route, export, feed and sync uses
them; a property-based test checks that they agree on random worlds. The write rules
(who may create, edit, publish, revoke, administer) are here too.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import aliased

from accord.identity.models import Role
from accord.intel.models import StixObject
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.tlp import Tlp

_WIDE = (Distribution.NODE.value, Distribution.FEDERATION.value, Distribution.OPEN.value)


class SharedObject(Protocol):
    """What the rule reads of an object version (a `StixObject` row satisfies it)."""

    @property
    def owner_org_id(self) -> str: ...
    @property
    def origin_node_id(self) -> str: ...
    @property
    def distribution(self) -> str: ...
    @property
    def sharing_group_id(self) -> str | None: ...
    @property
    def tlp(self) -> int: ...
    @property
    def published(self) -> bool: ...


def can_see(principal: Principal, obj: SharedObject) -> bool:
    """May this principal see this object version?"""
    dist = obj.distribution
    if principal.kind is PrincipalKind.USER:
        if obj.owner_org_id == principal.org_id:
            return True  # the owner organization sees its own, drafts included
        if not obj.published:
            return False
        if dist == Distribution.GROUP:
            # TLP:RED reaches the owner organization and its sharing group, no one else.
            return obj.sharing_group_id is not None and obj.sharing_group_id in principal.group_ids
        return obj.tlp != Tlp.RED and dist in _WIDE
    if principal.kind is PrincipalKind.NODE:
        if not obj.published or obj.tlp == Tlp.RED:
            return False  # drafts and TLP:RED never leave the node
        relayed = obj.origin_node_id != principal.local_node_id
        if relayed and obj.tlp == Tlp.AMBER_STRICT:
            return False  # AMBER+STRICT is never re-shared by a receiving node
        if dist == Distribution.FEDERATION:
            return not relayed  # one hop only
        if dist == Distribution.OPEN:
            return True
        if dist == Distribution.GROUP:
            return obj.sharing_group_id is not None and obj.sharing_group_id in principal.group_ids
        return False  # org and node never leave
    return False


def visible_to(principal: Principal, o: type[StixObject] = StixObject) -> ColumnElement[bool]:
    """`can_see` as a SQL condition on `StixObject` (or an alias of it)."""
    in_group = and_(
        o.distribution == Distribution.GROUP.value,
        o.sharing_group_id.in_(sorted(principal.group_ids)),
    )
    if principal.kind is PrincipalKind.USER:
        return or_(
            o.owner_org_id == principal.org_id,
            and_(
                o.published.is_(True),
                or_(in_group, and_(o.distribution.in_(_WIDE), o.tlp != int(Tlp.RED))),
            ),
        )
    if principal.kind is PrincipalKind.NODE:
        local = o.origin_node_id == principal.local_node_id
        return and_(
            o.published.is_(True),
            o.tlp != int(Tlp.RED),
            or_(local, o.tlp != int(Tlp.AMBER_STRICT)),
            or_(
                and_(o.distribution == Distribution.FEDERATION.value, local),
                o.distribution == Distribution.OPEN.value,
                in_group,
            ),
        )
    return false()


def latest_for(principal: Principal, o: type[StixObject] = StixObject) -> ColumnElement[bool]:
    """The version a principal reads as 'the object': the owner organization sees its
    newest version (drafts included), everyone else the newest published one."""
    if principal.kind is PrincipalKind.USER:
        return or_(
            and_(o.owner_org_id == principal.org_id, o.is_latest.is_(True)),
            and_(o.owner_org_id != principal.org_id, o.is_latest_published.is_(True)),
        )
    return o.is_latest_published.is_(True)


def exists_for(principal: Principal) -> ColumnElement[bool]:
    """The object (every version of it) exists for a principal only while the version
    it reads as the object is visible: narrowing a new version hides the older ones."""
    current = aliased(StixObject)
    return StixObject.stix_id.in_(
        select(current.stix_id).where(
            visible_to(principal, current), latest_for(principal, current)
        )
    )


def in_public_coverage(obj: StixObject) -> bool:
    """May this object version appear in public coverage (news page, feed, digest)?
    Only published, unrevoked `TLP:CLEAR` + `open` content; the caller passes the version
    the public reads as the object, its newest published one."""
    return (
        obj.published
        and not obj.revoked
        and obj.tlp == Tlp.CLEAR
        and obj.distribution == Distribution.OPEN
    )


def public_coverage(o: type[StixObject] = StixObject) -> ColumnElement[bool]:
    """`in_public_coverage` of the newest published version, as a SQL condition."""
    return and_(
        o.is_latest_published.is_(True),
        o.published.is_(True),
        o.revoked.is_(False),
        o.tlp == int(Tlp.CLEAR),
        o.distribution == Distribution.OPEN.value,
    )


# --- write rules -------------------------------------------------------------------------

_WRITERS = frozenset({Role.ADMIN, Role.ORG_ADMIN, Role.ANALYST, Role.CONTRIBUTOR})
_PUBLISHERS = frozenset({Role.ADMIN, Role.ORG_ADMIN, Role.ANALYST})


def can_create(principal: Principal, *, published: bool) -> bool:
    """Create objects: contributors only as drafts, observers never."""
    if not principal.is_user or principal.role is None:
        return False
    return principal.role in (_PUBLISHERS if published else _WRITERS)


def can_edit(principal: Principal, obj: SharedObject, *, published: bool) -> bool:
    """Add a new version: only the owner organization, with the right to create."""
    return obj.owner_org_id == principal.org_id and can_create(principal, published=published)


def can_publish(principal: Principal, obj: SharedObject) -> bool:
    return (
        principal.is_user and obj.owner_org_id == principal.org_id and principal.role in _PUBLISHERS
    )


def can_revoke(principal: Principal, obj: SharedObject) -> bool:
    return can_publish(principal, obj)


def can_manage_organizations(principal: Principal) -> bool:
    return principal.is_user and principal.role is Role.ADMIN


def can_manage_users_of(principal: Principal, org_id: str) -> bool:
    if not principal.is_user:
        return False
    return principal.role is Role.ADMIN or (
        principal.role is Role.ORG_ADMIN and principal.org_id == org_id
    )


def can_manage_user(principal: Principal, org_id: str, role: Role) -> bool:
    """Manage one user (keys, role, disable): an org-admin never manages a node admin."""
    if not can_manage_users_of(principal, org_id):
        return False
    return principal.role is Role.ADMIN or role is not Role.ADMIN


def can_assign_role(principal: Principal, role: Role) -> bool:
    """Only a node admin makes node admins."""
    return role is not Role.ADMIN or principal.role is Role.ADMIN


def can_see_group(principal: Principal, group_id: str, owner_org_id: str) -> bool:
    """A sharing group, and its member list, exist only for its members."""
    return principal.is_user and (
        group_id in principal.group_ids or owner_org_id == principal.org_id
    )


def can_create_group(principal: Principal) -> bool:
    return principal.is_user and principal.role in (Role.ADMIN, Role.ORG_ADMIN)


def can_manage_group(principal: Principal, owner_org_id: str) -> bool:
    return principal.is_user and (
        principal.role is Role.ADMIN
        or (principal.role is Role.ORG_ADMIN and principal.org_id == owner_org_id)
    )


def can_manage_federation(principal: Principal) -> bool:
    """Peers, invitations, agreements and sync status: the node admin alone."""
    return principal.is_user and principal.role is Role.ADMIN
