"""STIX 2.1 bundles of what a principal may see, self-describing for the next node."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import IO, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cooperation.types import definitions_for
from accord.intel.extension import accord_identity, extension_definition
from accord.intel.service import ObjectFilter, list_objects
from accord.organizations.models import Organization
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp, tlp2_marking_definition

_PAGE = 1000


def _rows(
    session: Session, principal: Principal, f: ObjectFilter
) -> Iterator[tuple[str, int, str, str]]:
    cursor: str | None = None
    while True:
        page = list_objects(session, principal, f, _PAGE, cursor)
        for row in page.rows:
            yield row.stix, row.tlp, row.owner_org_id, row.type
        if not page.more:
            return
        cursor = page.next


def _identity(org: Organization) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": org.identity_id,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": org.name,
        "identity_class": "organization",
    }


def write_bundle(session: Session, principal: Principal, f: ObjectFilter, out: IO[bytes]) -> int:
    """Write a bundle to `out`; returns the number of objects from the store."""
    out.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":[')
    count = 0
    levels: set[int] = set()
    owners: set[str] = set()
    types: set[str] = set()
    for text, tlp, owner, stix_type in _rows(session, principal, f):
        if count:
            out.write(b",")
        out.write(text.encode())
        count += 1
        levels.add(tlp)
        owners.add(owner)
        types.add(stix_type)
    extras: list[dict[str, Any]] = [extension_definition(), accord_identity()]
    extras += definitions_for(types)
    extras += [tlp2_marking_definition(Tlp(level)) for level in sorted(levels) if level]
    orgs = session.scalars(select(Organization).where(Organization.id.in_(sorted(owners))))
    extras += [_identity(org) for org in orgs]
    for extra in extras:
        if count:
            out.write(b",")
        out.write(orjson.dumps(extra))
        count += 1
    out.write(b"]}\n")
    return count - len(extras)
