"""Newest-first pages and counts over what a principal may see.

Built on intel.service's own filter (its `visible_to` and `latest_for` conditions), so
these pages see exactly what the API sees. The service only pages oldest-first and has
no counts: this belongs there (reported), and moves when it exists. The object page's
lookups are here too, shaped to stay bounded by the `stix_id` index at any table size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.intel.models import StixObject
from accord.intel.service import ObjectFilter
from accord.intel.service import _filtered as filtered
from accord.sharing.principal import Principal
from accord.sharing.rules import latest_for, visible_to


@dataclass
class NewestPage:
    rows: list[StixObject]
    older: int | None  # pass as `before` for the next page


def newest(
    session: Session,
    principal: Principal,
    f: ObjectFilter,
    limit: int,
    *,
    before: int | None = None,
    added_until: datetime | None = None,
    others_only: bool = False,
) -> NewestPage:
    o = StixObject
    query = filtered(principal, f)
    if before is not None:
        query = query.where(o.pk < before)
    if added_until is not None:
        query = query.where(o.date_added < added_until)
    if others_only:
        query = query.where(o.owner_org_id != principal.org_id)
    rows = list(session.scalars(query.order_by(o.pk.desc()).limit(limit + 1)))
    older = rows[limit - 1].pk if len(rows) > limit else None
    return NewestPage(rows[:limit], older)


def counts(
    session: Session, principal: Principal, f: ObjectFilter
) -> tuple[dict[str, int], dict[int, int]]:
    """How many visible objects of each type and of each TLP level.

    One pass over the visible set, grouped by (type, level); the two tallies are summed
    from those few groups rather than scanned for twice.
    """
    sub = filtered(principal, f).subquery()
    by_type: dict[str, int] = {}
    by_tlp: dict[int, int] = {}
    for kind, level, n in session.execute(
        select(sub.c.type, sub.c.tlp, func.count()).group_by(sub.c.type, sub.c.tlp)
    ):
        by_type[str(kind)] = by_type.get(str(kind), 0) + int(n)
        by_tlp[int(level)] = by_tlp.get(int(level), 0) + int(n)
    return by_type, by_tlp


def versions_of(session: Session, principal: Principal, latest: StixObject) -> list[StixObject]:
    """Every version of `latest`'s object the principal may see, oldest first.

    `latest` is the version the principal reads as the object (from `get_latest`: visible
    and `latest_for` them), so the object exists for them: `exists_for` holds for its
    stix_id by that very row, and what remains of `get_versions`' condition is
    `visible_to`, read through the `stix_id` index instead of a subquery over the table.
    """
    o = StixObject
    return list(
        session.scalars(
            select(o).where(o.stix_id == latest.stix_id, visible_to(principal)).order_by(o.pk)
        )
    )


def latest_of(session: Session, principal: Principal, stix_ids: list[str]) -> dict[str, StixObject]:
    """`get_latest` for many ids in one query: by stix_id, the version the principal
    reads as the object (their own organization's copy first, then the newest); ids that
    do not exist for the principal are absent."""
    o = StixObject
    rows = session.scalars(
        select(o)
        .where(o.stix_id.in_(sorted(set(stix_ids))), visible_to(principal), latest_for(principal))
        .order_by((o.owner_org_id == principal.org_id).desc(), o.pk.desc())
    )
    found: dict[str, StixObject] = {}
    for row in rows:
        found.setdefault(row.stix_id, row)
    return found
