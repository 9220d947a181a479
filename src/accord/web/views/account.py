"""My account: password, two-step verification (TOTP), language and signed-in sessions.

Every change is made by accord.identity.service (which audits it); these handlers only
read the forms and answer in words.
"""

from __future__ import annotations

from typing import Any

import pyotp
import segno
from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from accord.errors import Invalid
from accord.identity.passwords import MIN_PASSWORD_LENGTH
from accord.identity.service import (
    WrongCode,
    change_password,
    disable_totp,
    enable_totp,
    end_web_session,
    end_web_sessions,
    set_language,
    web_sessions_of,
)
from accord.web import i18n
from accord.web.i18n import gettext as _
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.auth import remember_language
from accord.web.views.common import field, redirect, web_router
from accord.web.words import role_name

router = web_router()


def _account(
    request: Request, me: WebUser, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    with request.app.state.db.read() as session:
        sessions = web_sessions_of(session, me.user_id)
    context: dict[str, Any] = {
        "errors": errors or {},
        "role": role_name(me.role),
        "min_length": MIN_PASSWORD_LENGTH,
        "sessions": sessions,
        "current_session": me.session_key,
        "chosen_language": me.language or "",
    }
    return render(request, "account/account.html", context, status)


@router.get("/account")
def account(request: Request, me: Me) -> Response:
    return _account(request, me)


@router.post("/account/password")
def password(request: Request, me: Me) -> Response:
    form = form_of(request)
    current, new, again = (form.get(k) for k in ("current", "new", "again"))
    if not all(isinstance(v, str) and v for v in (current, new, again)):
        return _account(request, me, {"password": _("Fill in all three fields.")}, 422)
    if new != again:
        return _account(
            request, me, {"password": _("The new password and its repetition differ.")}, 422
        )
    try:
        with request.app.state.db.write() as session:
            changed = change_password(session, me.user_id, str(current), str(new), me.session_key)
    except Invalid:
        message = _(
            "The new password must have at least %(num)d characters and differ from the "
            "current one."
        ) % {"num": MIN_PASSWORD_LENGTH}
        return _account(request, me, {"password": message}, 422)
    if changed is None:
        return _account(request, me, {"password": _("The current password is not correct.")}, 422)
    web_session(request).flash(
        "success", _("Your password has been changed. Other sessions have been signed out.")
    )
    return redirect("/account")


@router.post("/account/language")
def language(request: Request, me: Me) -> Response:
    """The language of this user on every device; empty: the browser's."""
    chosen = field(form_of(request), "language") or None
    if chosen is not None and chosen not in i18n.LANGUAGES:
        return _account(request, me, {"language": _("Choose one of the languages offered.")}, 422)
    with request.app.state.db.write() as session:
        set_language(session, me.user_id, chosen)
    i18n.activate(chosen or i18n.negotiate(request))  # the message below, in the new language
    web_session(request).flash("success", _("Your language has been saved."))
    response = redirect("/account")
    if chosen is not None:
        remember_language(request, response, chosen)
    return response


@router.post("/account/sessions/{key}/end")
def end_session(request: Request, me: Me, key: str) -> Response:
    if key == me.session_key:
        web_session(request).flash("error", _("To end this session, sign out."))
        return redirect("/account")
    with request.app.state.db.write() as session:
        end_web_session(session, me.user_id, key)
    web_session(request).flash("success", _("The session has been ended."))
    return redirect("/account")


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, me: Me) -> Response:
    with request.app.state.db.write() as session:
        ended = end_web_sessions(session, f"user:{me.email}", me.user_id, keep=me.session_key)
    message = i18n.ngettext(
        "%(num)d other session has been ended.", "%(num)d other sessions have been ended.", ended
    ) % {"num": ended}
    web_session(request).flash("success", message)
    return redirect("/account")


def _enrolment(
    request: Request, me: WebUser, error: str | None = None, status: int = 200
) -> Response:
    session = web_session(request)
    secret = session.get("t")
    if not isinstance(secret, str):
        secret = pyotp.random_base32()
        session.set("t", secret)
    issuer = f"Accord {request.app.state.web.node_name}"
    uri = pyotp.TOTP(secret).provisioning_uri(name=me.email, issuer_name=issuer)
    # A viewBox without a fixed size, so that the style sheet scales it whole.
    qr = segno.make(uri, error="m").svg_inline(dark="#0b1f33", light="#ffffff", omitsize=True)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "account/totp.html",
        {"qr": Markup(qr), "secret": grouped, "error": error},  # noqa: S704  (segno's own SVG)
        status,
    )


@router.get("/account/totp")
def totp_page(request: Request, me: Me) -> Response:
    if me.has_totp:
        return redirect("/account")
    return _enrolment(request, me)


@router.post("/account/totp")
def totp_enable(request: Request, me: Me) -> Response:
    session = web_session(request)
    secret = session.get("t")
    if me.has_totp or not isinstance(secret, str):
        return redirect("/account")
    try:
        with request.app.state.db.write() as db_session:
            enable_totp(
                db_session, me.user_id, secret, field(form_of(request), "code"), me.session_key
            )
    except WrongCode:
        return _enrolment(
            request, me, _("The code is not correct. Enter the six digits your app shows now."), 422
        )
    session.pop("t")
    session.flash(
        "success", _("Two-step verification is on. You will be asked for a code at each sign-in.")
    )
    return redirect("/account")


@router.post("/account/totp/disable")
def totp_disable(request: Request, me: Me) -> Response:
    given = form_of(request).get("password")
    with request.app.state.db.write() as session:
        user = disable_totp(
            session, me.user_id, given if isinstance(given, str) else "", me.session_key
        )
    if user is None:
        return _account(request, me, {"totp": _("The current password is not correct.")}, 422)
    web_session(request).flash("success", _("Two-step verification is off."))
    return redirect("/account")
