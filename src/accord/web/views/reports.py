"""Reports and objects: the list with filters, a page per object, the draft editor,
the audience preview, publish and revoke."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from accord.cooperation import coverage
from accord.db.base import utcnow
from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.intel import service
from accord.intel.ingest import IngestResult, Status, WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.intel.search import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    SearchQuery,
    highlight_spans,
    parse,
)
from accord.intel.service import MAX_PK, ObjectFilter
from accord.intel.vocabulary import SCO_REQUIRED
from accord.organizations.service import list_organizations
from accord.sharing.distribution import Distribution
from accord.sharing.rules import can_edit, can_publish, can_revoke, in_public_coverage
from accord.sharing.service import groups_visible_to
from accord.sharing.tlp import Tlp
from accord.web.audience import audience
from accord.web.i18n import gettext as _
from accord.web.i18n import ngettext
from accord.web.queries import NewestPage, latest_of, newest, versions_of
from accord.web.reportform import (
    DISTRIBUTIONS,
    KINDS,
    REPORT_TYPES,
    TLP_CHOICES,
    TLP_CODES,
    Existing,
    ReportForm,
    Row,
    Stored,
    build_objects,
    kind_of_observable,
    kind_of_pattern,
)
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import Item, field, org_names, redirect, web_router
from accord.web.words import TYPE_NAMES

router = web_router()
PAGE_SIZE = 50
MAX_REFS_SHOWN = 500
LIST_TYPES = [
    "report",
    "indicator",
    "incident",
    "threat-actor",
    "attack-pattern",
    "course-of-action",
    "note",
    "sighting",
    "x-accord-agenda-item",
    "x-accord-exercise",
    "x-accord-cooperation-event",
    "x-accord-message",
]


def _day(text: str, end: bool = False) -> datetime | None:
    try:
        moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment + timedelta(days=1) if end else moment


@router.get("/reports")
def list_reports(request: Request, me: Me) -> Response:
    q = request.query_params
    chosen_type = q.get("type", "report")
    owner = q.get("org", "")
    tlp_code = q.get("tlp", "")
    label = q.get("label", "").strip()
    start, end = q.get("from", ""), q.get("to", "")
    before_text = q.get("before", "")
    text = q.get("q", "").strip()
    query = _search_of(text)
    bad_search = bool(text) and query is None
    since = _day(start)
    f = ObjectFilter(
        types=[chosen_type] if chosen_type in LIST_TYPES else [],
        owner_org=owner or None,
        labels=[label] if label else [],
        tlp=[TLP_CHOICES[tlp_code]] if tlp_code in TLP_CHOICES else [],
        added_since=since - timedelta(microseconds=1) if since else None,
        search=query,
    )
    before = int(before_text) if before_text.isdigit() and int(before_text) <= MAX_PK else None
    with request.app.state.db.read() as session:
        names = org_names(session)
        page = (
            NewestPage([], None)  # a search that is no search finds nothing
            if bad_search
            else newest(
                session, me.principal, f, PAGE_SIZE, before=before, added_until=_day(end, end=True)
            )
        )
        organizations = list_organizations(session)
    filters = {
        "q": text,
        "type": chosen_type,
        "org": owner,
        "tlp": tlp_code,
        "label": label,
        "from": start,
        "to": end,
    }
    older = None
    if page.older is not None:
        older = request.url.include_query_params(before=page.older)
    items = [Item.of(r, names) for r in page.rows]
    if query is not None:
        for item in items:
            item.title = _highlighted(item.title, query)
    # The search box asks for the results alone while one types.
    partial = request.headers.get("hx-target") == "results"
    return render(
        request,
        "reports/results.html" if partial else "reports/list.html",
        {
            "items": items,
            "filters": filters,
            "bad_search": bad_search,
            "search_limits": {"terms": MAX_TERMS, "chars": MAX_QUERY_CHARS},
            "types": LIST_TYPES,
            "type_names": TYPE_NAMES,
            "organizations": organizations,
            "tlp_choices": TLP_CHOICES,
            "older": older,
            "bad_dates": (start and _day(start) is None) or (end and _day(end) is None),
        },
    )


def _search_of(text: str) -> SearchQuery | None:
    """The search typed in the list's box; None when empty or not a search."""
    if not text:
        return None
    try:
        return parse(text)
    except Invalid:
        return None  # the page says why


def _highlighted(text: str, query: SearchQuery) -> Markup:
    """`text`, escaped, with each occurrence of a search term in <mark>."""
    out = Markup()
    last = 0
    for start, end in highlight_spans(text, query):
        out += text[last:start]
        out += Markup("<mark>{}</mark>").format(text[start:end])
        last = end
    return out + text[last:]


def _referenced(
    session: Session, me: WebUser, obj: dict[str, Any], names: dict[str, str]
) -> list[Item]:
    refs = obj.get("object_refs")
    if not isinstance(refs, list):
        return []
    shown = [str(ref) for ref in refs[:MAX_REFS_SHOWN]]
    found = latest_of(session, me.principal, shown)
    # An id absent from `found` is not visible to this user: it does not exist for them.
    return [Item.of(found[ref], names) for ref in shown if ref in found]


def coverage_card(
    session: Session, me: WebUser, row: StixObject, action: str
) -> dict[str, Any] | None:
    """What the owner organization's users see of public coverage: released or not,
    whether they may change that, and in their words why it cannot be released now;
    `action` is the path the card's forms post to (+ /release, /withdraw)."""
    if row.owner_org_id != me.org_id:
        return None
    if not row.published:
        why = _("It is a draft: publish it first.")
    elif row.revoked:
        why = _("It is revoked.")
    elif not in_public_coverage(row):
        why = _(
            "Only TLP:CLEAR content with open distribution can be released; "
            "this is %(tlp)s with %(distribution)s distribution."
        ) % {"tlp": Tlp(row.tlp).label, "distribution": row.distribution}
    else:
        why = None
    return {
        "released": coverage.is_released(session, row),
        "refusal": why,
        "may": can_publish(me.principal, row),
        "action": action,
    }


@router.get("/objects/{stix_id}")
def view_object(request: Request, me: Me, stix_id: str) -> Response:
    return _view(request, me, stix_id)


def _view(
    request: Request, me: WebUser, stix_id: str, error: str | None = None, status: int = 200
) -> Response:
    p = me.principal
    with request.app.state.db.read() as session:
        row = service.get_latest(session, p, stix_id)
        names = org_names(session)
        item = Item.of(row, names)
        versions = [Item.of(v, names) for v in versions_of(session, p, row)]
        referenced = _referenced(session, me, item.obj, names)
        seen_by = audience(
            session, p, row.owner_org_id, row.distribution, row.sharing_group_id, row.tlp
        )
        own = row.owner_org_id == me.org_id
        actions = {
            "edit": own
            and row.type == "report"
            and not row.revoked
            and can_edit(p, row, published=False),
            "publish": own and not row.published and can_publish(p, row),
            "revoke": own and not row.revoked and "modified" in item.obj and can_revoke(p, row),
        }
        public = coverage_card(session, me, row, f"/objects/{row.stix_id}")
    return render(
        request,
        "reports/view.html",
        {
            "item": item,
            "row": row,
            "versions": list(reversed(versions)),
            "referenced": referenced,
            "audience": seen_by,
            "actions": actions,
            "type_names": TYPE_NAMES,
            "stix_json": orjson.dumps(item.obj, option=orjson.OPT_INDENT_2).decode(),
            "coverage": public,
            "error": error,
        },
        status=status,
    )


@router.post("/objects/{stix_id}/release")
def release(request: Request, me: Me, stix_id: str) -> Response:
    """Release for public coverage (news page, feed, digest); refusals re-render the page."""
    try:
        with request.app.state.db.write() as session:
            coverage.release(session, me.principal, stix_id)
    except (Invalid, Conflict, Forbidden) as exc:
        return _view(request, me, stix_id, _("Not released: %(reason)s") % {"reason": exc}, 422)
    web_session(request).flash(
        "success", _("Released: it now appears on the public news page, the feed and the digest.")
    )
    return redirect(f"/objects/{stix_id}")


@router.post("/objects/{stix_id}/withdraw")
def withdraw(request: Request, me: Me, stix_id: str) -> Response:
    """Take it off public coverage; refusals re-render the page."""
    try:
        with request.app.state.db.write() as session:
            coverage.unrelease(session, me.principal, stix_id)
    except (Conflict, Forbidden) as exc:
        return _view(request, me, stix_id, _("Not withdrawn: %(reason)s") % {"reason": exc}, 422)
    web_session(request).flash("success", _("Withdrawn from public coverage."))
    return redirect(f"/objects/{stix_id}")


@router.post("/objects/{stix_id}/publish")
def publish(request: Request, me: Me, stix_id: str) -> Response:
    with request.app.state.db.write() as session:
        done = service.publish(session, me.principal, stix_id)
    session_ = web_session(request)
    if done:
        session_.flash(
            "success",
            ngettext(
                "Published: %(num)d object is now visible to its audience.",
                "Published: %(num)d objects are now visible to their audience.",
                len(done),
            )
            % {"num": len(done)},
        )
    else:
        session_.flash("info", _("This was published already."))
    return redirect(f"/objects/{stix_id}")


@router.post("/objects/{stix_id}/revoke")
def revoke(request: Request, me: Me, stix_id: str) -> Response:
    with request.app.state.db.write() as session:
        service.revoke(session, me.principal, stix_id)
    web_session(request).flash("success", _("Revoked. Its audience now sees it marked as revoked."))
    return redirect(f"/objects/{stix_id}")


# --- the editor ----------------------------------------------------------------------


def _my_groups(session: Session, me: WebUser) -> list[Any]:
    return [g for g in groups_visible_to(session, me.principal) if g.id in me.principal.group_ids]


def _editor(
    request: Request,
    me: WebUser,
    form: ReportForm,
    *,
    report_id: str | None,
    status: int = 200,
    failure: str | None = None,
) -> Response:
    with request.app.state.db.read() as session:
        groups = _my_groups(session, me)
        preview = _preview(session, me, form)
    if not form.indicators or form.indicators[-1].value:
        form.indicators.append(Row())
    if not form.observables or form.observables[-1].value:
        form.observables.append(Row())
    return render(
        request,
        "reports/form.html",
        {
            "form": form,
            "report_id": report_id,
            "groups": groups,
            "kinds": KINDS,
            "report_types": REPORT_TYPES,
            "tlp_choices": TLP_CHOICES,
            "distributions": DISTRIBUTIONS,
            "audience": preview,
            "failure": failure,
            "row_key": lambda: secrets.token_hex(4),
        },
        status,
    )


def _preview(session: Session, me: WebUser, form: ReportForm) -> Any:
    distribution = (
        form.distribution if form.distribution in DISTRIBUTIONS else Distribution.ORG.value
    )
    group = form.sharing_group if distribution == Distribution.GROUP else None
    if group is not None and group not in me.principal.group_ids:
        group = None
    return audience(session, me.principal, me.org_id, distribution, group, int(form.tlp_level))


def _require_writer(me: WebUser) -> None:
    if not me.can_write:
        raise Forbidden("your role may not write reports")


def _save(
    request: Request, me: WebUser, form: ReportForm, existing: Existing | None
) -> tuple[str, IngestResult]:
    report_id, objects = build_objects(form, f"identity--{me.org_id}", existing, utcnow())
    defaults = WriteDefaults(Distribution(form.distribution), form.group_id, published=False)
    with request.app.state.db.write() as session:
        result = ingest(session, me.principal, objects, defaults)
        if not result.ok:
            session.rollback()
            return report_id, result
        if field(form_of(request), "then") == "publish" and me.can_publish:
            service.publish(session, me.principal, report_id)
    return report_id, result


def _refusal(result: IngestResult) -> str:
    reasons = [r.reason for r in result.results if r.status is Status.REFUSED and r.reason]
    return _("The report was not saved: %(reason)s") % {"reason": "; ".join(reasons[:3])}


def _after_save(request: Request, me: WebUser, report_id: str) -> Response:
    if field(form_of(request), "then") == "publish" and me.can_publish:
        message = _("Report saved and published.")
    else:
        message = _("Draft saved. Only your organization sees it until it is published.")
    web_session(request).flash("success", message)
    return redirect(f"/objects/{report_id}")


@router.get("/reports/new")
def new_report(request: Request, me: Me) -> Response:
    _require_writer(me)
    return _editor(request, me, ReportForm(), report_id=None)


@router.post("/reports/new")
def create_report(request: Request, me: Me) -> Response:
    _require_writer(me)
    form = ReportForm.read(form_of(request))
    if not form.validate(me.principal.group_ids):
        return _editor(request, me, form, report_id=None, status=422)
    report_id, result = _save(request, me, form, None)
    if not result.ok:
        return _editor(request, me, form, report_id=None, status=422, failure=_refusal(result))
    return _after_save(request, me, report_id)


def _stored(row: StixObject) -> Stored:
    return Stored(orjson.loads(row.stix), row.distribution, row.sharing_group_id, row.tlp)


def _load(session: Session, me: WebUser, report_id: str) -> tuple[ReportForm, Existing]:
    """The editor's form for a stored report, and what a new version keeps of it."""
    row = service.get_latest(session, me.principal, report_id)
    if row.type != "report":
        raise NotFound(f"no report {report_id}")
    if row.revoked or not can_edit(me.principal, row, published=False):
        raise Forbidden("only the owner organization may edit this report")
    report = _stored(row)
    obj = report.obj
    form = ReportForm(
        name=str(obj.get("name", "")),
        description=str(obj.get("description", "")),
        report_type=(obj.get("report_types") or ["threat-report"])[0],
        labels=", ".join(str(x) for x in obj.get("labels") or []),
        tlp=TLP_CODES.get(Tlp(row.tlp), "amber"),
        distribution=row.distribution,
        sharing_group=row.sharing_group_id or "",
    )
    indicators: dict[str, Stored] = {}
    kept: list[str] = []
    own_identity = f"identity--{me.org_id}"
    for ref in obj.get("object_refs") or []:
        if ref == own_identity:
            continue
        try:
            ref_row = service.get_latest(session, me.principal, ref)
        except NotFound:
            kept.append(ref)  # another organization's object we cannot see: keep the link
            continue
        ref_obj = orjson.loads(ref_row.stix)
        if ref_row.owner_org_id == me.org_id and ref_row.type == "indicator":
            found = kind_of_pattern(str(ref_obj.get("pattern", "")))
            if found is not None and not ref_row.revoked:
                indicators[ref] = _stored(ref_row)
                form.indicators.append(Row(found[0].code, found[1], ref))
                continue
        if ref_row.type in SCO_REQUIRED:
            seen = kind_of_observable(ref_obj)
            if seen is not None:
                form.observables.append(Row(seen[0].code, seen[1]))
                continue
        kept.append(ref)
    return form, Existing(report, indicators, kept)


@router.get("/reports/{report_id}/edit")
def edit_report(request: Request, me: Me, report_id: str) -> Response:
    _require_writer(me)
    with request.app.state.db.read() as session:
        form, _existing = _load(session, me, report_id)
    return _editor(request, me, form, report_id=report_id)


@router.post("/reports/{report_id}/edit")
def update_report(request: Request, me: Me, report_id: str) -> Response:
    _require_writer(me)
    with request.app.state.db.read() as session:
        _old, existing = _load(session, me, report_id)
    form = ReportForm.read(form_of(request))
    if not form.validate(me.principal.group_ids):
        return _editor(request, me, form, report_id=report_id, status=422)
    saved_id, result = _save(request, me, form, existing)
    if not result.ok:
        return _editor(request, me, form, report_id=report_id, status=422, failure=_refusal(result))
    return _after_save(request, me, saved_id)


@router.get("/reports/audience")
def audience_preview(request: Request, me: Me) -> Response:
    q = request.query_params
    form = ReportForm(
        tlp=q.get("tlp", "amber"),
        distribution=q.get("distribution", Distribution.ORG.value),
        sharing_group=q.get("sharing_group", ""),
    )
    with request.app.state.db.read() as session:
        preview = _preview(session, me, form)
    return render(request, "partials/audience.html", {"audience": preview})


@router.get("/reports/rows/{kind}")
def blank_row(request: Request, me: Me, kind: str) -> Response:
    if kind == "none":
        return HTMLResponse("")  # htmx removes the row this answers for
    if kind not in ("indicator", "observable"):
        raise NotFound(f"no row kind {kind}")
    return render(
        request,
        "partials/row.html",
        {
            "prefix": "ind" if kind == "indicator" else "obs",
            "row": Row(),
            "kinds": KINDS,
            "key": secrets.token_hex(4),
        },
    )
