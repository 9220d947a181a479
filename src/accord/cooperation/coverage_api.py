"""REST: releasing objects for public coverage, and what the public reads (no sign-in).

`POST /api/v1/objects/{id}/release` and `DELETE` of the same address release and
withdraw an object (analysts of the owner organization; 404 for an object the caller
cannot see, 403 for a role or organization that may not, 422 for an object that is not
published TLP:CLEAR + open, 409 for a release that exists already or not at all).
`GET /api/v1/public/items` lists what the news page shows; `POST
/api/v1/public/unsubscribe?token=...` is the RFC 8058 one-click unsubscribe address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from accord.api.auth import require_principal
from accord.cooperation import coverage, digest
from accord.cooperation.coverage import EventFacts, PublicItem
from accord.sharing.principal import Principal

objects = APIRouter(prefix="/objects", tags=["public coverage"])
public = APIRouter(prefix="/public", tags=["public coverage"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
MAX_PAGE_SIZE = 100


class ReleaseOut(BaseModel):
    released: str
    version: str
    released_at: datetime


class UnreleaseOut(BaseModel):
    unreleased: str


class EventOut(BaseModel):
    event_type: str
    start: datetime
    end: datetime | None
    country: str | None
    place: str | None

    @classmethod
    def of(cls, facts: EventFacts) -> EventOut:
        return cls(
            event_type=facts.event_type,
            start=facts.start,
            end=facts.end,
            country=facts.country,
            place=facts.place,
        )


class PublicItemOut(BaseModel):
    id: str
    stix_id: str
    type: str
    title: str
    description: str
    organization: str
    released_at: datetime
    modified: datetime
    event: EventOut | None

    @classmethod
    def of(cls, item: PublicItem) -> PublicItemOut:
        return cls(
            id=item.release_id,
            stix_id=item.stix_id,
            type=item.type,
            title=item.title,
            description=item.description,
            organization=item.organization,
            released_at=item.released_at,
            modified=item.modified,
            event=EventOut.of(item.event) if item.event else None,
        )


class PublicPageOut(BaseModel):
    items: list[PublicItemOut]
    total: int
    page: int
    pages: int


class UnsubscribedOut(BaseModel):
    unsubscribed: bool


@objects.post(
    "/{stix_id}/release",
    response_model=ReleaseOut,
    status_code=201,
    summary="Release a published TLP:CLEAR + open object for public coverage",
)
def release(request: Request, principal: PrincipalDep, stix_id: str) -> ReleaseOut:
    with request.app.state.db.write() as session:
        done = coverage.release(session, principal, stix_id)
    return ReleaseOut(released=done.stix_id, version=done.version, released_at=done.released_at)


@objects.delete(
    "/{stix_id}/release", response_model=UnreleaseOut, summary="Withdraw from public coverage"
)
def unrelease(request: Request, principal: PrincipalDep, stix_id: str) -> UnreleaseOut:
    with request.app.state.db.write() as session:
        coverage.unrelease(session, principal, stix_id)
    return UnreleaseOut(unreleased=stix_id)


@public.get("/items", response_model=PublicPageOut, summary="Released items (no sign-in)")
def public_items(
    request: Request,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> PublicPageOut:
    with request.app.state.db.read() as session:
        found = coverage.public_page(session, page, size)
    return PublicPageOut(
        items=[PublicItemOut.of(i) for i in found.items],
        total=found.total,
        page=found.page,
        pages=found.pages,
    )


@public.post(
    "/unsubscribe",
    response_model=UnsubscribedOut,
    summary="One-click unsubscribe from the news digest (RFC 8058)",
)
def one_click_unsubscribe(
    request: Request, token: Annotated[str, Query(max_length=200)]
) -> UnsubscribedOut:
    with request.app.state.db.write() as session:
        digest.unsubscribe(session, token)
    return UnsubscribedOut(unsubscribed=True)
