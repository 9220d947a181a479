"""Every answer says how long the server took (Server-Timing), for the load bench."""

from __future__ import annotations

import re

import httpx

from tests.web.conftest import WebServer

_DUR = re.compile(r"^app;dur=\d+\.\d$")


def test_pages_and_the_api_carry_a_server_timing_header(web: WebServer) -> None:
    with httpx.Client(base_url=web.url) as http:
        for path in ("/login", "/api/v1/me", "/no-such-page"):
            header = http.get(path).headers.get("server-timing", "")
            assert _DUR.match(header), (path, header)
