"""TAXII 2.1 media types (section 1.6.8) and the error resource (section 3.6.1)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

TAXII_21 = "application/taxii+json;version=2.1"


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params = {}
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        ranges.append((pieces[0].lower(), params))
    return ranges


def _weight(q: str) -> float:
    """An Accept quality value; q=0, q=0.0 and q=0.000 all mean "not acceptable"."""
    try:
        return float(q)
    except ValueError:
        return 1.0  # a malformed weight does not make a range unacceptable


def accepts_taxii(accept: str | None) -> bool:
    """Section 1.6.8.1: a TAXII 2.1 response is acceptable for this Accept header."""
    if accept is None or not accept.strip():
        return True
    for media, params in _media_ranges(accept):
        if _weight(params.get("q", "1")) <= 0:
            continue
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return True
    return False


def is_taxii_content(content_type: str | None) -> bool:
    """Section 1.6.8.1: POST bodies are application/taxii+json;version=2.1."""
    if not content_type:
        return False
    ranges = _media_ranges(content_type)
    if not ranges:
        return False
    media, params = ranges[0]
    return media == "application/taxii+json" and params.get("version", "2.1") == "2.1"


def taxii_json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = content if isinstance(content, bytes) else orjson.dumps(content)
    return Response(body, status, headers=headers, media_type=TAXII_21)


def taxii_error(status: int, title: str, description: str = "", **extra: Any) -> Response:
    """The TAXII error message resource; http_status is a string (section 3.6.1)."""
    body: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    body.update(extra)
    headers = {"WWW-Authenticate": 'Basic realm="accord", Bearer'} if status == 401 else None
    return taxii_json(body, status, headers)
