"""Bearer API keys: the principal of a REST request."""

from __future__ import annotations

from fastapi import Request

from accord.api.errors import ApiError
from accord.identity.service import needs_touch, principal_for_api_key, touch_api_key
from accord.sharing.principal import Principal


def bearer_secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def principal_from_key(request: Request, secret: str) -> Principal | None:
    state = request.app.state
    with state.db.read() as session:
        found = principal_for_api_key(session, secret, state.local_node_id)
        if found is None:
            return None
        principal, key = found
        touch = needs_touch(key)
    if touch:
        with state.db.write() as session:
            touch_api_key(session, key.id)
    return principal


def require_principal(request: Request) -> Principal:
    """FastAPI dependency: 401 without a valid, unrevoked key of an active user."""
    secret = bearer_secret(request)
    if secret is None:
        raise ApiError(401, "send an API key: Authorization: Bearer <key>")
    principal = principal_from_key(request, secret)
    if principal is None:
        raise ApiError(401, "the API key is unknown, revoked, or its user is disabled")
    return principal
