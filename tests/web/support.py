"""Signing in over plain HTTP and reading pages, for the web tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """An httpx client that keeps cookies and the last page's CSRF token, like a person's."""

    def __init__(self, base_url: str, **headers: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, headers=headers)
        self.token = ""

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        response = self.http.get(path, **kwargs)  # type: ignore[arg-type]
        found = _TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(
        self,
        path: str,
        data: dict[str, object] | None = None,
        *,
        token: bool = True,
        **kwargs: object,
    ) -> httpx.Response:
        body = dict(data or {})
        if token:
            body.setdefault("csrf_token", self.token)
        response = self.http.post(path, data=body, **kwargs)  # type: ignore[arg-type]
        found = _TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        return self.post("/login", {"email": email, "password": password, "next": "/"})

    def close(self) -> None:
        self.http.close()


class Fields(HTMLParser):
    """Form controls of a page and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea"):
            if a.get("type") in ("hidden", "submit", "button"):
                return
            self.controls.append({**a, "_wrapped": "1" if self._label_depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1

    def unlabelled(self) -> list[str]:
        return [
            str(c.get("name") or c.get("id"))
            for c in self.controls
            if not c["_wrapped"] and not c.get("aria-label") and c.get("id") not in self.label_for
        ]
