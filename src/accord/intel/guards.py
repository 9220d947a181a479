"""Write guards: rules of a cooperation module that hold on every write path.

The one ingest path validates, owns and versions objects; a module that gives its
objects a life cycle (who may move an agenda issue, who may write in an exercise)
states its rules here, so that REST, TAXII, the web pages and file import cannot
bypass them by writing the object directly. `GUARDS` maps a STIX type to the guard
that decides each object of that type; a guard returns a reason to refuse, or None.

Guards are named, not registered on import: the table is complete whatever modules a
process happens to have imported. Each guard is looked up once per type per request,
so objects of types without a guard cost one dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

from sqlalchemy.orm import Session

from accord.sharing.principal import Principal


@dataclass(frozen=True)
class WriteContext:
    """What a guard knows about the write besides the object itself."""

    session: Session
    principal: Principal
    published: bool
    # True when the cooperation module itself writes (it has checked its own rules).
    by_module: bool
    # Every id written in the same request (a guard may accept what arrives together).
    request_ids: frozenset[str]


Guard = Callable[[WriteContext, dict[str, Any]], str | None]

# STIX type -> the guards ("module:function") asked in turn; the first refusal wins.
# Keep this table complete: a type missing here has no module rules on the generic
# write paths.
GUARDS: dict[str, tuple[str, ...]] = {
    # The expert working group: issues and sessions, and support and comments on issues.
    "x-accord-agenda-item": ("accord.cooperation.workgroup:guard_own_types",),
    "x-accord-wg-session": ("accord.cooperation.workgroup:guard_own_types",),
    "opinion": (
        "accord.cooperation.workgroup:guard_about_issues",
        "accord.cooperation.exercises:guard_about_exercises",
    ),
    "note": (
        "accord.cooperation.workgroup:guard_about_issues",
        "accord.cooperation.exercises:guard_about_exercises",
    ),
    # Liaison between staffs: written only by accord.cooperation.liaison (/api/v1/liaison).
    "x-accord-channel": ("accord.cooperation.liaison:write_guard",),
    "x-accord-message": ("accord.cooperation.liaison:write_guard",),
    "x-accord-receipt": ("accord.cooperation.liaison:write_guard",),
    "x-accord-contact": ("accord.cooperation.liaison:write_guard",),
    "x-accord-consultation": ("accord.cooperation.liaison:write_guard",),
    # Joint exercises: written only by accord.cooperation.exercises (/api/v1/exercises);
    # observers of an exercise never write about it (lessons, notes, links).
    "x-accord-exercise": ("accord.cooperation.exercises:guard_exercise",),
    "course-of-action": ("accord.cooperation.exercises:guard_about_exercises",),
    "relationship": ("accord.cooperation.exercises:guard_about_exercises",),
    "report": ("accord.cooperation.exercises:guard_about_exercises",),
    "grouping": ("accord.cooperation.exercises:guard_about_exercises",),
}


def _one(target: str) -> Guard:
    module, _, name = target.partition(":")
    guard: Guard = getattr(import_module(module), name)
    return guard


@cache
def _guard(stix_type: str) -> Guard | None:
    targets = GUARDS.get(stix_type)
    if not targets:
        return None
    found = [_one(t) for t in targets]
    if len(found) == 1:
        return found[0]

    def every(context: WriteContext, obj: dict[str, Any]) -> str | None:
        return next((r for g in found if (r := g(context, obj)) is not None), None)

    return every


def refusal(context: WriteContext, obj: dict[str, Any]) -> str | None:
    """The reason this object may not be written this way, or None."""
    guard = _guard(str(obj.get("type")))
    return None if guard is None else guard(context, obj)
