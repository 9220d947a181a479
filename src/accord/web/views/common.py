"""What several page modules share: redirects, form fields, and object summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from accord.intel.models import StixObject
from accord.organizations.service import list_organizations
from accord.web.routing import WebRoute


def web_router() -> APIRouter:
    return APIRouter(route_class=WebRoute, include_in_schema=False)


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def title_of(obj: dict[str, Any]) -> str:
    if obj.get("type") == "relationship":
        source, target = (str(obj.get(k, "")).split("--")[0] for k in ("source_ref", "target_ref"))
        return f"{source} {obj.get('relationship_type', '')} {target}"
    for key in ("name", "value", "abstract", "pattern", "content", "opinion"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value if len(value) <= 160 else value[:159] + "…"
    hashes = obj.get("hashes")
    if isinstance(hashes, dict) and hashes:
        return str(next(iter(hashes.values())))
    return str(obj.get("id", ""))


@dataclass
class Item:
    """One object version as lists and pages show it."""

    stix_id: str
    type: str
    title: str
    owner_org_id: str
    owner: str
    tlp: int
    published: bool
    revoked: bool
    date_added: datetime
    modified: datetime
    labels: list[str]
    obj: dict[str, Any]

    @classmethod
    def of(cls, row: StixObject, org_names: dict[str, str]) -> Item:
        obj = orjson.loads(row.stix)
        labels = obj.get("labels")
        return cls(
            stix_id=row.stix_id,
            type=row.type,
            title=title_of(obj),
            owner_org_id=row.owner_org_id,
            owner=org_names.get(row.owner_org_id, ""),
            tlp=row.tlp,
            published=row.published,
            revoked=row.revoked,
            date_added=row.date_added,
            modified=datetime.fromisoformat(row.modified.replace("Z", "+00:00")),
            labels=[str(x) for x in labels] if isinstance(labels, list) else [],
            obj=obj,
        )


def org_names(session: Session) -> dict[str, str]:
    return {org.id: org.name for org in list_organizations(session)}
