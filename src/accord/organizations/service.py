"""Nodes and organizations: the local node, adding and listing organizations."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import append
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.organizations.models import Node, Organization, OrgKind
from accord.sharing.principal import Principal
from accord.sharing.rules import can_manage_organizations

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def local_node(session: Session) -> Node:
    node = session.scalars(select(Node).where(Node.is_local.is_(True))).first()
    if node is None:
        raise NotFound("this node is not initialized: run `accord init`")
    return node


def ensure_local_node(session: Session, name: str, actor: str = "system") -> Node:
    node = session.scalars(select(Node).where(Node.is_local.is_(True))).first()
    if node is None:
        node = Node(name=name, is_local=True)
        session.add(node)
        session.flush()
        append(session, actor, "node.init", node.id, {"name": name})
    return node


def parse_kind(kind: str) -> OrgKind:
    try:
        return OrgKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in OrgKind)
        raise Invalid(f"unknown organization kind {kind!r}: choose one of {choices}") from None


def create_organization(
    session: Session,
    actor: str,
    name: str,
    country: str,
    kind: OrgKind,
    node_id: str | None = None,
) -> Organization:
    """Add an organization (on this node unless a node is given). `actor` is audited."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid("organization name must be 1 to 200 characters")
    country = country.strip().upper()
    if not _COUNTRY.match(country):
        raise Invalid(f"country must be a two-letter ISO 3166 code, not {country!r}")
    if session.scalars(select(Organization.id).where(Organization.name == name)).first():
        raise Conflict(f"an organization named {name!r} exists already")
    node = session.get(Node, node_id) if node_id else local_node(session)
    if node is None:
        raise NotFound(f"unknown node {node_id}")
    org = Organization(name=name, country=country, kind=kind, node_id=node.id)
    session.add(org)
    session.flush()
    append(
        session, actor, "org.create", org.id, {"name": name, "country": country, "kind": kind.value}
    )
    return org


def add_organization(
    session: Session, principal: Principal, name: str, country: str, kind: OrgKind
) -> Organization:
    if not can_manage_organizations(principal):
        raise Forbidden("only a node admin may add organizations")
    return create_organization(session, principal.actor, name, country, kind)


def list_organizations(session: Session) -> list[Organization]:
    """Every organization known to this node: names are not secret among its users."""
    return list(session.scalars(select(Organization).order_by(Organization.name)))


def get_organization(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"no organization {org_id}")
    return org


def find_organization(session: Session, name_or_id: str) -> Organization:
    org = session.scalars(
        select(Organization).where(
            (Organization.name == name_or_id) | (Organization.id == name_or_id)
        )
    ).first()
    if org is None:
        raise NotFound(f"no organization named {name_or_id!r}")
    return org
