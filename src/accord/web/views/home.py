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
        # Others' newest published objects, one read for both lists: pk grows with
        # date_added, so those added since `window` are a prefix of them.
        latest = newest(
            session, p, ObjectFilter(published=True), NEW_LIMIT + 1, others_only=True
        ).rows
        fresh = [r for r in latest if r.date_added > window]
        recent = [] if fresh else latest[:RECENT_LIMIT]
        drafts = newest(
            session,
            p,
            ObjectFilter(types=["report"], published=False, owner_org=me.org_id),
            DRAFT_LIMIT,
        )
        by_type, by_tlp = counts(session, p, ObjectFilter())
    return render(
        request,
        "home.html",
        {
            "since": since,
            "first_visit_days": FIRST_VISIT_DAYS,
            "fresh": [Item.of(r, names) for r in fresh[:NEW_LIMIT]],
            "more_fresh": len(fresh) > NEW_LIMIT,
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
