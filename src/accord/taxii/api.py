"""TAXII 2.1 endpoints under /taxii2/ (OASIS Standard, 10 June 2021).

Each handler names the section it implements. Handlers parse, call taxii.service, and
render; every error is a TAXII error resource with the TAXII media type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.responses import Response

from accord import __version__
from accord.api.errors import STATUS_BY_ERROR, ApiError
from accord.errors import AccordError, Invalid
from accord.federation import egress
from accord.intel import timestamps
from accord.intel.api import write_defaults
from accord.intel.ingest import BundleError, objects_of, paused_gc
from accord.intel.validation import is_identifier
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal, PrincipalKind
from accord.taxii import service
from accord.taxii.auth import require_taxii_principal
from accord.taxii.media import TAXII_21, accepts_taxii, is_taxii_content, taxii_error, taxii_json
from accord.taxii.models import Collection
from accord.taxii.query import BadParameter, parse_limit, parse_match

API_ROOT = "accord"
STIX_21 = "application/stix+json;version=2.1"
router = APIRouter(prefix="/taxii2", include_in_schema=False)
R = TypeVar("R")


def _guard(request: Request) -> Response | None:
    if not accepts_taxii(request.headers.get("accept")):
        return taxii_error(406, "Not Acceptable", f"this server answers with {TAXII_21}")
    return None


def _error(exc: Exception) -> Response:
    if isinstance(exc, BadParameter):
        return taxii_error(400, "Bad Request", str(exc))
    if isinstance(exc, ApiError):
        return taxii_error(exc.status, exc.code.replace("_", " ").title(), str(exc.detail))
    if isinstance(exc, Invalid):
        return taxii_error(400, "Bad Request", exc.detail)
    if isinstance(exc, AccordError):
        status = STATUS_BY_ERROR.get(type(exc), 400)
        return taxii_error(status, exc.code.replace("_", " ").title(), exc.detail)
    raise exc


def _run(request: Request, work: Callable[[Principal], Response]) -> Response:
    refusal = _guard(request)
    if refusal is not None:
        return refusal
    try:
        return work(require_taxii_principal(request))
    except (AccordError, ApiError, BadParameter) as exc:
        return _error(exc)


def _root_url(request: Request) -> str:
    return str(request.base_url) + f"taxii2/{API_ROOT}/"


def _check_root(api_root: str) -> None:
    if api_root != API_ROOT:
        raise ApiError(404, f"no API root {api_root}")


def _check_object_id(object_id: str) -> None:
    # Not a STIX identifier, so no such object (and no NUL byte reaches PostgreSQL).
    if not is_identifier(object_id):
        raise ApiError(404, f"no object {object_id}")


def _added_headers(page: service.Page[Any]) -> dict[str, str]:
    if page.added is None:
        return {}
    first, last = page.added
    return {
        "X-TAXII-Date-Added-First": timestamps.format_added(first),
        "X-TAXII-Date-Added-Last": timestamps.format_added(last),
    }


def _envelope(page: service.Page[Any], key: bytes, *items: bytes) -> Response:
    """An envelope or manifest (sections 3.7, 5.3.1), `items` spelling the JSON array.

    The body is copied once: a page of objects is most of a megabyte.
    """
    head: dict[str, Any] = {"more": page.more}
    if page.next:
        head["next"] = page.next
    body = b"".join([orjson.dumps(head)[:-1], b',"', key, b'":', *items, b"}"])
    return taxii_json(body, headers=_added_headers(page))


def _collection_resource(principal: Principal, c: Collection) -> dict[str, Any]:
    """Section 5.2.1."""
    resource: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "can_read": service.can_read(principal, c),
        "can_write": service.can_write(principal, c),
        "media_types": [STIX_21],
    }
    if c.alias:
        resource["alias"] = c.alias
    return resource


@router.get("/")
def discovery(request: Request) -> Response:
    """Section 4.1: server discovery."""

    def work(_principal: Principal) -> Response:
        root = _root_url(request)
        return taxii_json(
            {
                "title": "Accord TAXII 2.1 server",
                "description": "Federated information exchange of a security-cooperation "
                "organization.",
                "default": root,
                "api_roots": [root],
            }
        )

    return _run(request, work)


@router.get("/{api_root}/")
def api_root_information(request: Request, api_root: str) -> Response:
    """Section 4.2: API root information."""

    def work(_principal: Principal) -> Response:
        _check_root(api_root)
        return taxii_json(
            {
                "title": "Accord",
                "description": f"Accord {__version__}: STIX 2.1 objects this node may show you.",
                "versions": [TAXII_21],
                "max_content_length": request.app.state.settings.max_body_bytes,
            }
        )

    return _run(request, work)


@router.get("/{api_root}/status/{status_id}/")
def get_status(request: Request, api_root: str, status_id: str) -> Response:
    """Section 4.3: the status of an earlier POST."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        with request.app.state.db.read() as session:
            status = service.get_status(session, principal, status_id)
        return taxii_json(_status_resource(status))

    return _run(request, work)


def _status_resource(status: Any) -> bytes:
    """Section 4.3.1, as JSON: the stored lists of status details (JSON arrays, written
    by taxii.service.add_objects) are spliced in as they are, never parsed again."""
    head = orjson.dumps(
        {
            "id": status.id,
            "status": "complete",
            "request_timestamp": timestamps.format_added(status.request_timestamp),
            "total_count": status.total_count,
            "success_count": status.success_count,
            "failure_count": status.failure_count,
            "pending_count": 0,
            "pendings": [],
        }
    )
    return b"".join(
        [
            head[:-1],
            b',"successes":',
            status.successes.encode(),
            b',"failures":',
            status.failures.encode(),
            b"}",
        ]
    )


@router.get("/{api_root}/collections/")
def get_collections(request: Request, api_root: str) -> Response:
    """Section 5.1: the collections this principal may read or write."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        with request.app.state.db.read() as session:
            found = service.collections_for(session, principal)
            body = [_collection_resource(principal, c) for c in found]
        return taxii_json({"collections": body} if body else {})

    return _run(request, work)


@router.get("/{api_root}/collections/{collection_id}/")
def get_collection(request: Request, api_root: str, collection_id: str) -> Response:
    """Section 5.2: one collection."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        with request.app.state.db.read() as session:
            c = service.get_collection(session, principal, collection_id)
            return taxii_json(_collection_resource(principal, c))

    return _run(request, work)


class _Query(Protocol[R]):
    def __call__(
        self,
        session: Session,
        principal: Principal,
        collection: Collection,
        match: service.Match,
        limit: int,
        after: str | None = None,
    ) -> service.Page[R]: ...


def _page(
    request: Request,
    principal: Principal,
    collection_id: str,
    match: service.Match,
    query: _Query[R],
) -> service.Page[R]:
    settings = request.app.state.settings
    limit = parse_limit(request.query_params, settings.page_size_max, settings.page_size_max)
    with request.app.state.db.read() as session:
        collection = service.readable(session, principal, collection_id)
        return query(session, principal, collection, match, limit, request.query_params.get("next"))


@router.get("/{api_root}/collections/{collection_id}/manifest/")
def get_manifest(request: Request, api_root: str, collection_id: str) -> Response:
    """Section 5.3: manifest of the objects, filtered (section 3.4)."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        match = parse_match(request.query_params)
        page = _page(request, principal, collection_id, match, service.query)
        records = [
            {
                "id": row.stix_id,
                "date_added": timestamps.format_added(row.date_added),
                "version": timestamps.display(row.modified),
                "media_type": STIX_21,
            }
            for row in page.rows
        ]
        return _envelope(page, b"objects", orjson.dumps(records))

    return _run(request, work)


def _travelling(
    request: Request, principal: Principal, page: service.Page[service.Served]
) -> service.Page[service.Served]:
    """A peer node receives each object signed by its origin (federation/egress.py)."""
    if principal.kind is PrincipalKind.NODE:
        page.rows = list(egress.travelling(request.app.state.db, page.rows))
    return page


def _objects_response(page: service.Page[service.Blob]) -> Response:
    """The stored JSON texts joined as they are: no object is parsed or re-serialized.

    The envelope's head and tail ride on the first and the last object, so the page is
    copied once, by one join.
    """
    rows: Sequence[service.Blob] = page.rows
    texts = [stix for _pk, stix in rows]
    head: dict[str, Any] = {"more": page.more}
    if page.next:
        head["next"] = page.next
    opening = orjson.dumps(head)[:-1] + b',"objects":['
    if texts:
        texts[0] = opening + texts[0]
        texts[-1] += b"]}"
        body = b",".join(texts)
    else:
        body = opening + b"]}"
    return taxii_json(body, headers=_added_headers(page))


def _objects_page(
    request: Request, principal: Principal, collection_id: str, match: service.Match
) -> service.Page[service.Blob]:
    """Objects as this principal receives them: a peer node each signed by its origin
    (whole rows), anyone else the stored JSON alone (the lean query)."""
    if principal.kind is PrincipalKind.NODE:
        page = _page(request, principal, collection_id, match, service.query)
        page = _travelling(request, principal, page)
        blobs = [(row.pk, row.stix.encode()) for row in page.rows]
        return service.Page(blobs, page.more, page.next, service.added_bounds(page.rows))
    return _page(request, principal, collection_id, match, service.query_texts)


@router.get("/{api_root}/collections/{collection_id}/objects/")
def get_objects(request: Request, api_root: str, collection_id: str) -> Response:
    """Section 5.4: objects, filtered (section 3.4), in date_added order."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        match = parse_match(request.query_params)
        return _objects_response(_objects_page(request, principal, collection_id, match))

    return _run(request, work)


@router.post("/{api_root}/collections/{collection_id}/objects/")
async def add_objects(request: Request, api_root: str, collection_id: str) -> Response:
    """Section 5.5: add objects; answers 202 with a status resource (section 4.3.1)."""
    refusal = _guard(request)
    if refusal is not None:
        return refusal
    if not is_taxii_content(request.headers.get("content-type")):
        return taxii_error(415, "Unsupported Media Type", f"send {TAXII_21}")
    try:
        _check_root(api_root)
        body = await request.body()
        try:
            with paused_gc():
                objects = objects_of(orjson.loads(body))
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, f"the body is not valid JSON: {exc}") from None
        except BundleError as exc:
            raise ApiError(400, str(exc)) from None
        params = request.query_params
        try:
            distribution = (
                Distribution(params["distribution"]) if "distribution" in params else None
            )
        except ValueError:
            raise BadParameter(
                "distribution must be org, node, federation, open or group"
            ) from None
        defaults = write_defaults(distribution, params.get("sharing_group"), draft=False)
        state = request.app.state
        tolerance = timedelta(seconds=state.settings.future_tolerance_seconds)

        def work() -> Response:
            principal = require_taxii_principal(request)
            with state.db.write() as session:
                collection = service.writable(session, principal, collection_id)
                status = service.add_objects(
                    session, principal, collection, objects, defaults, future_tolerance=tolerance
                )
                return taxii_json(_status_resource(status), 202)

        return await run_in_threadpool(work)
    except (AccordError, ApiError, BadParameter) as exc:
        return _error(exc)


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/")
def get_object(request: Request, api_root: str, collection_id: str, object_id: str) -> Response:
    """Section 5.6: one object (its versions per match[version], default last)."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        _check_object_id(object_id)
        match = parse_match(request.query_params)
        match.ids = [object_id]
        page = _objects_page(request, principal, collection_id, match)
        if not page.rows and not request.query_params.get("next"):
            raise ApiError(404, f"no object {object_id}")
        return _objects_response(page)

    return _run(request, work)


@router.delete("/{api_root}/collections/{collection_id}/objects/{object_id}/")
def delete_object(request: Request, api_root: str, collection_id: str, object_id: str) -> Response:
    """Section 5.7: delete, which Accord keeps as a revocation by the owner."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        _check_object_id(object_id)
        with request.app.state.db.write() as session:
            collection = service.writable(session, principal, collection_id)
            service.delete_object(session, principal, collection, object_id)
        return Response(status_code=200, media_type=TAXII_21)

    return _run(request, work)


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/versions/")
def get_versions(request: Request, api_root: str, collection_id: str, object_id: str) -> Response:
    """Section 5.8: the versions of one object."""

    def work(principal: Principal) -> Response:
        _check_root(api_root)
        _check_object_id(object_id)
        match = parse_match(request.query_params, versions_default="all")
        match.ids = [object_id]
        match.versions = ["all"]
        page = _page(request, principal, collection_id, match, service.query)
        if not page.rows and not request.query_params.get("next"):
            raise ApiError(404, f"no object {object_id}")
        versions = [timestamps.display(row.modified) for row in page.rows]
        return _envelope(page, b"versions", orjson.dumps(versions))

    return _run(request, work)
