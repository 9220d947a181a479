"""TAXII authentication: HTTP Basic (user e-mail + API key) or a bearer API key."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

from accord.api.auth import bearer_secret, principal_from_key
from accord.api.errors import ApiError
from accord.sharing.principal import Principal


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "malformed Basic credentials") from None
    email, sep, key = decoded.partition(":")
    if not sep:
        raise ApiError(401, "Basic credentials are e-mail:api-key")
    return email, key


def require_taxii_principal(request: Request) -> Principal:
    basic = _basic(request)
    if basic is not None:
        email, secret = basic
        principal = principal_from_key(request, secret)
        if principal is None or principal.label != email.strip().lower():
            raise ApiError(401, "unknown e-mail or API key")
        return principal
    bearer = bearer_secret(request)
    if bearer is None:
        raise ApiError(401, "authenticate with Basic (e-mail:api-key) or a bearer API key")
    principal = principal_from_key(request, bearer)
    if principal is None:
        raise ApiError(401, "the API key is unknown, revoked, or its user is disabled")
    return principal


__all__ = ["require_taxii_principal"]
