"""My account: password change and two-step verification (TOTP) enrolment."""

from __future__ import annotations

import pyotp
import segno
from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from accord.errors import Invalid
from accord.identity.models import User
from accord.identity.passwords import MIN_PASSWORD_LENGTH
from accord.web.accounts import WrongPassword, change_password, disable_totp, enable_totp
from accord.web.i18n import gettext as _
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import field, redirect, web_router
from accord.web.words import role_name

router = web_router()


def _account(
    request: Request, me: WebUser, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "account/account.html",
        {"errors": errors or {}, "role": role_name(me.role), "min_length": MIN_PASSWORD_LENGTH},
        status,
    )


def _renew(request: Request, user: User) -> None:
    """Keep this session valid after a change that ends the user's other sessions."""
    web_session(request).set("f", request.app.state.web.sessions.fingerprint(user))


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
            user = change_password(session, me.user_id, str(current), str(new))
    except WrongPassword:
        return _account(request, me, {"password": _("The current password is not correct.")}, 422)
    except Invalid:
        message = _(
            "The new password must have at least %(num)d characters and differ from the "
            "current one."
        ) % {"num": MIN_PASSWORD_LENGTH}
        return _account(request, me, {"password": message}, 422)
    _renew(request, user)
    web_session(request).flash(
        "success", _("Your password has been changed. Other sessions have been signed out.")
    )
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
    code = field(form_of(request), "code").replace(" ", "")
    if me.has_totp or not isinstance(secret, str):
        return redirect("/account")
    if not code.isdigit() or not pyotp.TOTP(secret).verify(code, valid_window=1):
        return _enrolment(
            request, me, _("The code is not correct. Enter the six digits your app shows now."), 422
        )
    with request.app.state.db.write() as db_session:
        user = enable_totp(db_session, me.user_id, secret)
    session.pop("t")
    _renew(request, user)
    session.flash(
        "success", _("Two-step verification is on. You will be asked for a code at each sign-in.")
    )
    return redirect("/account")


@router.post("/account/totp/disable")
def totp_disable(request: Request, me: Me) -> Response:
    given = form_of(request).get("password")
    try:
        with request.app.state.db.write() as session:
            user = disable_totp(session, me.user_id, given if isinstance(given, str) else "")
    except WrongPassword:
        return _account(request, me, {"totp": _("The current password is not correct.")}, 422)
    _renew(request, user)
    web_session(request).flash("success", _("Two-step verification is off."))
    return redirect("/account")
