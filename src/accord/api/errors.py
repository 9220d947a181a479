"""Every error is JSON {"error": code, "detail": ...} with the right status; never HTML."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from accord.api.responses import Json
from accord.errors import AccordError, Conflict, Forbidden, Invalid, NotFound
from accord.taxii.media import taxii_error

log = logging.getLogger("accord.api")

STATUS_BY_ERROR: dict[type[AccordError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Invalid: 422,
}

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


class ApiError(Exception):
    """Raised by handlers for errors that are not domain errors (bad JSON, auth)."""

    def __init__(self, status: int, detail: Any, code: str | None = None, **extra: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.detail = detail
        self.extra = extra


def error_response(status: int, code: str, detail: Any, **extra: Any) -> Json:
    headers = {"WWW-Authenticate": 'Bearer realm="accord"'} if status == 401 else None
    return Json({"error": code, "detail": detail, **extra}, status, headers=headers)


def error_for_path(path: str, status: int, code: str, detail: Any) -> Response:
    """TAXII clients get the TAXII error resource, everyone else Accord's JSON error."""
    if path == "/taxii2" or path.startswith("/taxii2/"):
        return taxii_error(status, code.replace("_", " ").capitalize(), str(detail))
    return error_response(status, code, detail)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Json:
        return error_response(exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(AccordError)
    async def _domain_error(_request: Request, exc: AccordError) -> Json:
        return error_response(STATUS_BY_ERROR.get(type(exc), 400), exc.code, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _CODES.get(exc.status_code, "error")
        return error_for_path(request.url.path, exc.status_code, code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Json:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "reason": e.get("msg", "")}
            for e in exc.errors()
        ]
        return error_response(422, "invalid_request", problems)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        detail = "an unexpected error occurred; it was logged"
        return error_for_path(request.url.path, 500, "internal_error", detail)
