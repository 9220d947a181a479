"""REST: /api/v1/objects (DESIGN.md section 4). Thin: parse, call the service, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from accord.api.auth import require_principal
from accord.api.errors import ApiError
from accord.api.responses import Json
from accord.errors import Invalid
from accord.intel import search, service, timestamps
from accord.intel.ingest import (
    BundleError,
    IngestForbidden,
    IngestResult,
    Status,
    WriteDefaults,
    ingest,
    objects_of,
    paused_gc,
)
from accord.intel.validation import UUID_RE
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal
from accord.sharing.tlp import Tlp

router = APIRouter(prefix="/objects", tags=["objects"])
reports = APIRouter(prefix="/reports", tags=["objects"])

PrincipalDep = Annotated[Principal, Depends(require_principal)]
# Each label filter is one EXISTS clause: PostgreSQL takes seconds to plan 100 of them.
MAX_LABELS = 10
MAX_TYPES = 50


def write_defaults(
    distribution: Distribution | None, sharing_group: str | None, draft: bool
) -> WriteDefaults:
    if sharing_group is not None and not UUID_RE.match(sharing_group):
        raise Invalid(f"sharing_group must be a UUID, not {sharing_group!r}")
    if distribution is None:
        distribution = Distribution.GROUP if sharing_group else Distribution.ORG
    if distribution is Distribution.GROUP and sharing_group is None:
        raise Invalid("distribution=group needs sharing_group=<uuid>")
    if distribution is not Distribution.GROUP and sharing_group is not None:
        raise Invalid("sharing_group is only used with distribution=group")
    return WriteDefaults(distribution, sharing_group, published=not draft)


def _ingest_response(result: IngestResult) -> Json:
    body: dict[str, Any] = {
        "created": result.count(Status.CREATED),
        "exists": result.count(Status.EXISTS),
        "refused": result.count(Status.REFUSED),
        "results": [r.as_dict() for r in result.results],
    }
    if not result.ok:
        body = {
            "error": "invalid_objects",
            "detail": f"{body['refused']} of {len(result.results)} objects were refused; "
            "nothing was stored",
            **body,
        }
        return Json(body, 422)
    return Json(body, 201 if body["created"] else 200)


@router.post("", summary="Add objects (a STIX bundle); all or nothing, with per-object results")
async def post_objects(
    request: Request,
    principal: PrincipalDep,
    distribution: Distribution | None = None,
    sharing_group: str | None = None,
    draft: bool = False,
) -> Json:
    defaults = write_defaults(distribution, sharing_group, draft)
    body = await request.body()
    try:
        with paused_gc():
            payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", "malformed_json") from None
    try:
        objects = objects_of(payload)
    except BundleError as exc:
        raise ApiError(422, str(exc), "invalid_bundle") from None
    if not objects:
        raise ApiError(422, "the bundle holds no objects", "invalid_bundle")
    state = request.app.state
    tolerance = timedelta(seconds=state.settings.future_tolerance_seconds)

    def run() -> IngestResult:
        with state.db.write() as session:
            result = ingest(session, principal, objects, defaults, future_tolerance=tolerance)
            if not result.ok:
                session.rollback()
            return result

    try:
        result = await run_in_threadpool(run)
    except IngestForbidden as exc:
        raise ApiError(403, str(exc)) from None
    return _ingest_response(result)


def _page_response(page: service.Page | service.TextPage) -> Response:
    tail = orjson.dumps({"more": page.more, "next": page.next})
    body = b"".join([b'{"objects":', page.objects_json(), b",", tail[1:]])
    return Response(body, media_type="application/json")


@router.get("", summary="List the latest visible version of each object (keyset pages)")
def list_objects(
    request: Request,
    principal: PrincipalDep,
    type: Annotated[
        list[str] | None,
        Query(max_length=MAX_TYPES, description="STIX type; repeat for several (any of them)"),
    ] = None,
    owner: Annotated[str | None, Query(description="owner organization UUID")] = None,
    label: Annotated[
        list[str] | None,
        Query(max_length=MAX_LABELS, description="repeat for several (all of them)"),
    ] = None,
    tlp: Annotated[
        list[str] | None,
        Query(max_length=len(Tlp), description="clear, green, amber, amber+strict, red, none"),
    ] = None,
    modified_since: Annotated[str | None, Query(description="RFC 3339 timestamp")] = None,
    added_since: Annotated[str | None, Query(description="RFC 3339 timestamp")] = None,
    published: bool | None = None,
    versions: Annotated[str, Query(pattern="^(latest|all)$")] = "latest",
    q: Annotated[
        str | None,
        Query(
            max_length=search.MAX_QUERY_CHARS,
            description="full-text search over name, description, labels, aliases, "
            'observable values and patterns: every word must occur; "quoted phrase" '
            "keeps words together; no operators (all text is literal)",
        ),
    ] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    next: Annotated[str | None, Query(description="cursor from the previous page")] = None,
) -> Response:
    settings = request.app.state.settings
    try:
        levels = [Tlp.parse(t) for t in tlp or []]
        modified = timestamps.parse(modified_since) if modified_since else None
        added = timestamps.parse(added_since) if added_since else None
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    f = service.ObjectFilter(
        types=type or [],
        owner_org=owner,
        labels=label or [],
        tlp=levels,
        modified_since=modified,
        added_since=added,
        published=published,
        all_versions=versions == "all",
        search=search.parse(q) if q is not None else None,
    )
    size = min(limit or settings.page_size_default, settings.page_size_max)
    with request.app.state.db.read() as session:
        page = service.list_texts(session, principal, f, size, next)
    return _page_response(page)


@router.get("/{stix_id}", summary="The latest visible version, or every visible version")
def get_object(
    request: Request,
    principal: PrincipalDep,
    stix_id: str,
    versions: Annotated[str, Query(pattern="^(latest|all)$")] = "latest",
) -> Response:
    with request.app.state.db.read() as session:
        if versions == "all":
            rows = service.get_versions(session, principal, stix_id)
            page = service.Page(rows, False, None)
            return _page_response(page)
        row = service.get_latest(session, principal, stix_id)
    headers = {
        "X-Accord-Published": "true" if row.published else "false",
        "X-Accord-Owner": row.owner_org_id,
        "X-Accord-Date-Added": timestamps.format_added(row.date_added),
    }
    return Response(row.stix, media_type="application/json", headers=headers)


@router.post("/{stix_id}/revoke", summary="Revoke: a new version with revoked true")
def revoke_object(request: Request, principal: PrincipalDep, stix_id: str) -> Json:
    with request.app.state.db.write() as session:
        result = service.revoke(session, principal, stix_id)
    return Json({"revoked": stix_id, "version": result.results[0].version})


def _publish(request: Request, principal: Principal, stix_id: str) -> Json:
    with request.app.state.db.write() as session:
        done = service.publish(session, principal, stix_id)
    return Json({"published": done})


@router.post("/{stix_id}/publish", summary="Publish an object and what it references of its own")
def publish_object(request: Request, principal: PrincipalDep, stix_id: str) -> Json:
    return _publish(request, principal, stix_id)


@reports.post("/{stix_id}/publish", summary="Publish a report and its own referenced objects")
def publish_report(request: Request, principal: PrincipalDep, stix_id: str) -> Json:
    if not stix_id.startswith("report--"):
        raise ApiError(404, f"no report {stix_id}")
    return _publish(request, principal, stix_id)
