"""Signed session cookies: who is signed in, the CSRF token, and a few preferences.

The cookie is signed, not encrypted (it holds ids and random tokens, no secrets of
others). It expires after `IDLE_SECONDS` without use and `ABSOLUTE_SECONDS` after
sign-in. Changing one's password, TOTP or account state ends every other session,
because the cookie carries a fingerprint of them that each request checks.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from accord.identity.models import User

COOKIE = "accord_session"
IDLE_SECONDS = 8 * 3600
ABSOLUTE_SECONDS = 12 * 3600
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

    def start(self, user_id: str, fingerprint: str, since: str | None) -> None:
        """A new signed-in session: every earlier value (and the CSRF token) is dropped."""
        keep = {k: self.data[k] for k in ("fl",) if k in self.data}
        self.data = {"u": user_id, "f": fingerprint, "i": int(time.time()), **keep}
        if since:
            self.data["s"] = since
        self.dirty = True

    def end(self) -> None:
        self.data = {}
        self.dirty = True


class SessionStore:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="accord.web.session")
        self._fingerprint_key = hashlib.sha256(
            b"accord.web.fingerprint:" + secret.encode()
        ).digest()

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

    def fingerprint(self, user: User) -> str:
        """Changes when the password, TOTP secret or active state of the user changes."""
        state = f"{user.password_hash}|{user.totp_secret or ''}|{user.is_active}".encode()
        return hmac.new(self._fingerprint_key, state, hashlib.sha256).hexdigest()[:32]
