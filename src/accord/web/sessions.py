"""Signed session cookies: who is signed in, the CSRF token, and a few preferences.

The cookie is signed, not encrypted (it holds ids and random tokens, no secrets of
others). A signed-in cookie carries the random token of a row in `web_sessions`
(identity.service), which each request looks up: deleting the row (sign-out, "end this
session", a password change, an administrator disabling the user) ends the session at
once. The cookie itself expires after `IDLE_SECONDS` without use and `ABSOLUTE_SECONDS`
after sign-in, as the row does.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from accord.identity.service import SESSION_IDLE, SESSION_LIFETIME

COOKIE = "accord_session"
IDLE_SECONDS = int(SESSION_IDLE.total_seconds())
ABSOLUTE_SECONDS = int(SESSION_LIFETIME.total_seconds())
# Re-issue the cookie (sliding the idle limit) at most this often.
REFRESH_SECONDS = 300


@dataclass
class WebSession:
    data: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        if self.data.get(key) != value:
            self.data[key] = value
            self.dirty = True

    def pop(self, key: str) -> Any:
        if key in self.data:
            self.dirty = True
        return self.data.pop(key, None)

    @property
    def csrf_token(self) -> str:
        token = self.data.get("c")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.set("c", token)
        return token

    def flash(self, kind: str, text: str) -> None:
        self.set("fl", [*(self.data.get("fl") or []), [kind, text]])

    def take_flashes(self) -> list[tuple[str, str]]:
        return [(k, t) for k, t in self.pop("fl") or []]

    def start(self, user_id: str, token: str, since: str | None) -> None:
        """A new signed-in session: every earlier value (and the CSRF token) is dropped.

        `token` is the random token of the session's row (identity.service).
        """
        keep = {k: self.data[k] for k in ("fl",) if k in self.data}
        self.data = {"u": user_id, "k": token, "i": int(time.time()), **keep}
        if since:
            self.data["s"] = since
        self.dirty = True

    def end(self) -> None:
        self.data = {}
        self.dirty = True


class SessionStore:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="accord.web.session")

    def load(self, request: Request) -> WebSession:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return WebSession()
        try:
            data, signed_at = self._serializer.loads(
                raw, max_age=IDLE_SECONDS, return_timestamp=True
            )
        except BadSignature:  # also expired: SignatureExpired is a BadSignature
            return WebSession(dirty=True)
        if not isinstance(data, dict):
            return WebSession(dirty=True)
        if "u" in data and time.time() - int(data.get("i") or 0) > ABSOLUTE_SECONDS:
            return WebSession(dirty=True)
        session = WebSession(data)
        if time.time() - signed_at.timestamp() > REFRESH_SECONDS:
            session.dirty = True
        return session

    def save(self, session: WebSession, request: Request, response: Response) -> None:
        if not session.dirty:
            return
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(session.data),
            max_age=IDLE_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
