"""Home: what is new for me since my last visit, my drafts, and what I can see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import Request
from starlette.responses import Response

from accord.intel.service import ObjectFilter
from accord.intel.timestamps import format_stix, parse
from accord.web.i18n import gettext as _
from accord.web.queries import counts, newest
from accord.web.routing import Me, web_session
from accord.web.templating import render
from accord.web.views.common import Item, org_names, redirect, web_router

router = web_router()
FIRST_VISIT_DAYS = 30
NEW_LIMIT = 25
DRAFT_LIMIT = 20
RECENT_LIMIT = 10


@router.get("/")
def home(request: Request, me: Me) -> Response:
    since_text = web_session(request).get("s")
    since = parse(since_text) if isinstance(since_text, str) else None
    window = since or datetime.now(UTC) - timedelta(days=FIRST_VISIT_DAYS)
    p = me.principal
    with request.app.state.db.read() as session:
        names = org_names(session)
        fresh = newest(
            session,
            p,
            ObjectFilter(published=True, added_since=window),
            NEW_LIMIT,
            others_only=True,
        )
        drafts = newest(
            session,
            p,
            ObjectFilter(types=["report"], published=False, owner_org=me.org_id),
            DRAFT_LIMIT,
        )
        recent = (
            []
            if fresh.rows
            else newest(
                session, p, ObjectFilter(published=True), RECENT_LIMIT, others_only=True
            ).rows
        )
        by_type, by_tlp = counts(session, p, ObjectFilter())
    return render(
        request,
        "home.html",
        {
            "since": since,
            "first_visit_days": FIRST_VISIT_DAYS,
            "fresh": [Item.of(r, names) for r in fresh.rows],
            "more_fresh": fresh.older is not None,
            "recent": [Item.of(r, names) for r in recent],
            "drafts": [Item.of(r, names) for r in drafts.rows],
            "by_type": sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])),
            "by_tlp": sorted(by_tlp.items()),
            "total": sum(by_type.values()),
        },
    )


@router.post("/seen")
def mark_seen(request: Request, me: Me) -> Response:
    session = web_session(request)
    session.set("s", format_stix(datetime.now(UTC)))
    session.flash("info", _("Everything up to now is marked as seen."))
    return redirect("/")
