"""Sign-in (password, then a TOTP code if enrolled), sign-out and the language choice."""

from __future__ import annotations

import time

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from accord.audit.service import append
from accord.identity.models import User
from accord.identity.service import (
    authenticate_password,
    authenticate_totp,
    previous_sign_in,
    set_language,
    sign_out,
    start_web_session,
    web_session_for,
)
from accord.intel.timestamps import format_stix
from accord.web import i18n
from accord.web.i18n import gettext as _
from accord.web.routing import form_of, web_session
from accord.web.templating import render
from accord.web.views.common import field, redirect, safe_next, web_router

router = web_router()
PENDING_SECONDS = 300  # time to type the TOTP code after the password
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttled(request: Request, email: str) -> Response | None:
    """The back-off page if this e-mail (from this address) must wait; audited once."""
    state = request.app.state
    wait, first = state.web.throttle.retry_after(email, _address(request))
    if wait <= 0:
        return None
    if first:
        with state.db.write() as session:
            append(
                session,
                f"anonymous:{email[:200]}",
                "login.throttled",
                email[:200],
                {"address": _address(request), "seconds": int(wait)},
            )
    minutes = max(1, round(wait / 60))
    message = i18n.ngettext(
        "Too many failed attempts. Try again in %(num)d minute.",
        "Too many failed attempts. Try again in %(num)d minutes.",
        minutes,
    ) % {"num": minutes}
    return render(request, "login.html", {"error": message, "email": email, "next": "/"}, 429)


def remember_language(request: Request, response: Response, language: str) -> None:
    """The language cookie: the choice of this browser, signed in or out."""
    response.set_cookie(
        i18n.LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _open_session(request: Request, session: Session, user: User) -> str:
    """A row for the new signed-in session (in the caller's write); returns its token."""
    agent = request.headers.get("user-agent", "")
    return start_web_session(session, user, agent, _address(request))


def _complete(
    request: Request,
    token: str,
    user_id: str,
    language: str | None,
    since: str | None,
    next_url: str,
) -> Response:
    web_session(request).start(user_id, token, since)
    response = redirect(safe_next(next_url))
    if language is not None:  # so that pages keep it after sign-out too
        remember_language(request, response, language)
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    if isinstance(web_session(request).get("u"), str):
        return redirect("/")
    next_url = safe_next(request.query_params.get("next"))
    return render(request, "login.html", {"error": None, "email": "", "next": next_url})


@router.post("/login")
def login(request: Request) -> Response:
    state = request.app.state
    form = form_of(request)
    email, password, next_url = field(form, "email"), form.get("password"), field(form, "next")
    if not email or not isinstance(password, str) or not password:
        error = _("Enter your e-mail address and password.")
        return render(
            request, "login.html", {"error": error, "email": email, "next": next_url}, 400
        )
    refused = _throttled(request, email)
    if refused is not None:
        return refused
    token = None
    with state.db.write() as session:
        user = authenticate_password(session, email, password)
        if user is not None:
            since = previous_sign_in(session, user.id)
            user_id, language = user.id, user.language
            if user.totp_secret is None:
                token = _open_session(request, session, user)
    if user is None:
        state.web.throttle.failed(email, _address(request))
        error = _("The e-mail address or password is not correct.")
        return render(
            request, "login.html", {"error": error, "email": email, "next": next_url}, 401
        )
    since_text = format_stix(since) if since else None
    if token is None:  # the password was right; now the TOTP code
        web = web_session(request)
        web.end()
        web.set(
            "p", {"u": user_id, "t": int(time.time()), "s": since_text, "n": next_url, "e": email}
        )
        return redirect("/login/code")
    state.web.throttle.succeeded(email, _address(request))
    return _complete(request, token, user_id, language, since_text, next_url)


def _pending(request: Request) -> dict[str, object] | None:
    pending = web_session(request).get("p")
    if not isinstance(pending, dict) or time.time() - int(pending.get("t") or 0) > PENDING_SECONDS:
        return None
    return pending


@router.get("/login/code")
def code_page(request: Request) -> Response:
    if _pending(request) is None:
        return redirect("/login")
    return render(request, "login_code.html", {"error": None})


@router.post("/login/code")
def code(request: Request) -> Response:
    state = request.app.state
    pending = _pending(request)
    if pending is None:
        web_session(request).flash("error", _("The sign-in took too long. Please start again."))
        return redirect("/login")
    email = str(pending["e"])
    refused = _throttled(request, email)
    if refused is not None:
        return refused
    token = None
    with state.db.write() as session:
        user = authenticate_totp(session, str(pending["u"]), field(form_of(request), "code"))
        if user is not None:
            user_id, language = user.id, user.language
            token = _open_session(request, session, user)
    if token is None:
        state.web.throttle.failed(email, _address(request))
        error = _("The code is not correct. Enter the current code from your authenticator app.")
        return render(request, "login_code.html", {"error": error}, 401)
    state.web.throttle.succeeded(email, _address(request))
    since = pending.get("s")
    since_text = since if isinstance(since, str) else None
    return _complete(request, token, user_id, language, since_text, str(pending["n"]))


@router.post("/logout")
def logout(request: Request) -> Response:
    session = web_session(request)
    token = session.get("k")
    session.end()
    if isinstance(token, str):
        with request.app.state.db.write() as db_session:
            sign_out(db_session, token)
    session.flash("info", _("You have signed out."))
    return redirect("/login")


@router.post("/language")
def language(request: Request) -> Response:
    """This browser's language; a signed-in user's too, on every device."""
    form = form_of(request)
    chosen = field(form, "language")
    response = redirect(safe_next(field(form, "next")))
    if chosen in i18n.LANGUAGES:
        remember_language(request, response, chosen)
        token = web_session(request).get("k")
        if isinstance(token, str):
            with request.app.state.db.write() as session:
                found = web_session_for(session, token)
                if found is not None:
                    set_language(session, found.user_id, chosen)
    return response
