"""Shared plumbing of the cooperation modules: new objects, one write, current rows.

Every module writes its objects through the one ingest path as the caller's
organization (`write_one`) and reads them through `visible_to` and `latest_for`
(`current`), so the single access rule decides what anyone sees.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from accord.cooperation.types import new_sdo_extension
from accord.db.base import utcnow
from accord.errors import Invalid
from accord.intel import timestamps
from accord.intel.extension import EXTENSION_ID, sharing_extension
from accord.intel.ingest import Status as Outcome
from accord.intel.ingest import WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.organizations.models import Organization
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.rules import latest_for, visible_to


def stix_of(row: StixObject) -> dict[str, Any]:
    return dict(orjson.loads(row.stix))


def org_of(ref: str) -> str:
    return ref.removeprefix("identity--")


def stamp(moment: datetime) -> str:
    return timestamps.format_stix(moment)


def write_one(
    session: Session,
    writer: Principal,
    obj: dict[str, Any],
    published: bool = True,
    by_module: bool = False,
) -> None:
    """Ingest one object, or refuse with ingest's own reason (nothing is written).
    `by_module`: the calling module has checked its own rules (accord.intel.guards)."""
    defaults = WriteDefaults(published=published, by_module=by_module)
    result = ingest(session, writer, [obj], defaults)
    if not result.ok:
        refused = next(r for r in result.results if r.status is Outcome.REFUSED)
        raise Invalid(refused.reason or "the object was refused")


def new_object(
    stix_type: str,
    principal: Principal,
    distribution: Distribution,
    sharing_group: str | None = None,
    marking_refs: list[str] | None = None,
) -> dict[str, Any]:
    now = stamp(utcnow())
    obj: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": f"identity--{principal.org_id}",
        "extensions": {
            EXTENSION_ID: sharing_extension(distribution.value, sharing_group),
            **new_sdo_extension(stix_type),
        },
    }
    if marking_refs:
        obj["object_marking_refs"] = marking_refs
    return obj


def current(principal: Principal, stix_type: str) -> Select[StixObject]:
    o = StixObject
    return select(o).where(
        o.type == stix_type, o.revoked.is_(False), visible_to(principal), latest_for(principal)
    )


def mentioning(principal: Principal, stix_type: str, target: str) -> Select[StixObject]:
    """Current objects whose JSON may name `target` (the caller checks the property)."""
    return current(principal, stix_type).where(StixObject.stix.contains(target, autoescape=True))


def resolve_orgs(session: Session, names_or_ids: list[str]) -> list[Organization]:
    """Organizations by name or UUID, each once; an unknown one is refused by name."""
    found: dict[str, Organization] = {}
    for wanted in names_or_ids:
        org = session.scalars(
            select(Organization).where(or_(Organization.name == wanted, Organization.id == wanted))
        ).first()
        if org is None:
            raise Invalid(f"unknown organization {wanted!r}")
        if org.id in found:
            raise Invalid(f"{org.name} is named twice")
        found[org.id] = org
    return list(found.values())
