"""Newest-first pages and counts over what a principal may see.

Built on intel.service's own filter (its `visible_to` and `latest_for` conditions), so
these pages see exactly what the API sees. The service only pages oldest-first and has
no counts: this belongs there (reported), and moves when it exists.
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
    """How many visible objects of each type and of each TLP level."""
    sub = filtered(principal, f).subquery()
    types = session.execute(select(sub.c.type, func.count()).group_by(sub.c.type)).all()
    levels = session.execute(select(sub.c.tlp, func.count()).group_by(sub.c.tlp)).all()
    return {str(r[0]): int(r[1]) for r in types}, {int(r[0]): int(r[1]) for r in levels}
