"""Domain errors raised by services; the REST shell maps each to one HTTP status."""

from __future__ import annotations


class AccordError(Exception):
    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AccordError):
    """Absent, or invisible to the caller: the two are never told apart."""

    code = "not_found"


class Forbidden(AccordError):
    """A visible thing the caller's role may not act on."""

    code = "forbidden"


class Conflict(AccordError):
    code = "conflict"


class Invalid(AccordError):
    code = "invalid"
