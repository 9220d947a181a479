"""The route class of every web page: session, language, CSRF, HTML errors, headers.

Everything here runs before or around each handler, so that handlers stay thin and no
page can forget the CSRF check or show a JSON error to a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from accord.errors import AccordError, Conflict, Forbidden, Invalid, NotFound
from accord.identity.models import Role
from accord.identity.service import (
    needs_seen,
    principal_for_user,
    touch_web_session,
    web_session_for,
)
from accord.sharing.principal import Principal
from accord.sharing.rules import can_create
from accord.web import csrf, i18n
from accord.web.sessions import WebSession
from accord.web.templating import render

log = logging.getLogger("accord.web")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """The page needs a signed-in user."""


@dataclass(frozen=True)
class WebUser:
    """The signed-in person, as pages need them."""

    user_id: str
    email: str
    role: Role
    org_id: str
    org_name: str
    has_totp: bool
    principal: Principal
    session_key: str  # the id of this session's row (web_sessions)
    language: str | None  # the user's chosen language; None: the browser's

    @property
    def can_write(self) -> bool:
        return can_create(self.principal, published=False)

    @property
    def can_publish(self) -> bool:
        return can_create(self.principal, published=True)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_administer(self) -> bool:
        return self.role in (Role.ADMIN, Role.ORG_ADMIN)


def web_session(request: Request) -> WebSession:
    session: WebSession = request.state.web_session
    return session


def form_of(request: Request) -> FormData:
    """The request's form, parsed (and CSRF-checked) by the route class."""
    form: FormData = request.state.form
    return form


def _load_signed_in(request: Request) -> WebUser:
    """The user of the cookie's live session row; last seen recorded every few minutes."""
    state = request.app.state
    session = web_session(request)
    token = session.get("k")
    if not isinstance(token, str):
        raise SignInRequired
    with state.db.read() as db_session:
        found = web_session_for(db_session, token)
        if found is None or found.user_id != session.get("u"):
            session.end()
            raise SignInRequired
        user = found.user
        me = WebUser(
            user_id=user.id,
            email=user.email,
            role=user.role,
            org_id=user.org_id,
            org_name=user.org.name,
            has_totp=user.totp_secret is not None,
            principal=principal_for_user(db_session, user, state.local_node_id),
            session_key=found.id,
            language=user.language,
        )
        stale = needs_seen(found)
    if stale:
        with state.db.write() as db_session:
            touch_web_session(db_session, me.session_key)
    return me


async def signed_in(request: Request) -> WebUser:
    """Dependency: the signed-in user, or a redirect to the sign-in page.

    Async, so that the user's own language, set here, holds for the rest of the request
    (a synchronous dependency runs in a worker thread whose context is thrown away).
    """
    me = await run_in_threadpool(_load_signed_in, request)
    if me.language is not None:
        i18n.activate(me.language)
    request.state.me = me
    return me


Me = Annotated[WebUser, Depends(signed_in)]


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", {"title": title, "detail": detail}, status)


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = "/login" if target == "/" else f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def _has_nul(request: Request, form: FormData | None) -> bool:
    """PostgreSQL text cannot hold NUL: refuse it before any query or write."""
    values = [request.scope["path"], *(v for kv in request.query_params.multi_items() for v in kv)]
    if form is not None:
        values += [v for kv in form.multi_items() for v in kv if isinstance(v, str)]
    return any("\x00" in v for v in values)


async def _handle(
    request: Request, inner: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    _ = i18n.gettext
    form = None
    if request.method not in csrf.SAFE_METHODS:
        form = await request.form()
        request.state.form = form
        csrf.check(request, web_session(request), form)
    if _has_nul(request, form):
        return _error_page(
            request,
            400,
            _("The request cannot be carried out"),
            _("The text holds a NUL character."),
        )
    try:
        return await inner(request)
    except SignInRequired:
        return _sign_in_redirect(request)
    except NotFound:
        return _error_page(
            request,
            404,
            _("Page not found"),
            _("There is nothing here, or it is not shared with your organization."),
        )
    except Forbidden:
        return _error_page(
            request, 403, _("Not permitted"), _("Your role does not permit this action.")
        )
    except (Invalid, Conflict) as exc:
        return _error_page(request, 422, _("The request cannot be carried out"), exc.detail)
    except AccordError as exc:
        return _error_page(request, 400, _("The request cannot be carried out"), exc.detail)


class WebRoute(APIRoute):
    """Wraps each web handler: see the module docstring."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            web = request.app.state.web
            token = i18n.activate(i18n.negotiate(request))
            try:
                if web.sessions is None:
                    request.state.web_session = WebSession()
                    response = _error_page(
                        request,
                        503,
                        i18n.gettext("The web interface is not configured"),
                        i18n.gettext(
                            "Set ACCORD_SECRET_KEY (at least 32 random characters, the same "
                            "for every server process) and restart Accord."
                        ),
                    )
                else:
                    request.state.web_session = web.sessions.load(request)
                    try:
                        response = await _handle(request, inner)
                    except csrf.CsrfRefused:
                        response = _error_page(
                            request,
                            403,
                            i18n.gettext("The form has expired"),
                            i18n.gettext(
                                "This form was not sent from an Accord page opened in this "
                                "session. Reload the page and try again."
                            ),
                        )
                    except Exception:
                        log.exception("unhandled error on %s", request.url.path)
                        response = _error_page(
                            request,
                            500,
                            i18n.gettext("Something went wrong"),
                            i18n.gettext("The error was logged. Please try again later."),
                        )
                    web.sessions.save(request.state.web_session, request, response)
            finally:
                i18n.deactivate(token)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Vary", "Cookie, Accept-Language")
            return response

        return handler
