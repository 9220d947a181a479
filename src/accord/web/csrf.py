"""CSRF: a random token bound to the session, sent back in every form or htmx request.

The route class checks it on every unsafe method before a handler runs, so no form
can forget it. A cross-site `Origin` header is refused as well.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import FormData
from starlette.requests import Request

from accord.web.sessions import WebSession

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Exception):
    """The request carries no valid token for this session, or comes from another site."""


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # browsers send Origin on every cross-site POST; tools may omit it
        return True
    base = f"{request.url.scheme}://{request.url.netloc}"
    return origin == base


def check(request: Request, session: WebSession, form: FormData | None) -> None:
    expected = session.get("c")
    given = request.headers.get(HEADER)
    if given is None and form is not None:
        value = form.get(FIELD)
        given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not given:
        raise CsrfRefused
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfRefused
    if not _same_origin(request):
        raise CsrfRefused
