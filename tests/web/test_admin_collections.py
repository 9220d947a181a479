"""The TAXII collections page: node admins list, add, edit and delete collections, with
the checks of `accord collection add`; nobody else may; every change audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEntry
from accord.identity.models import Role
from accord.organizations.models import Organization
from accord.taxii.models import Collection
from accord.taxii.service import all_collections, create_collection
from tests.factories import Account, World
from tests.web.conftest import WebServer
from tests.web.support import Browser


@pytest.fixture
def staff(world: World) -> Organization:
    return world.org("Node Staff")


@pytest.fixture
def root(world: World, staff: Organization) -> Account:
    return world.account(staff, Role.ADMIN)


@pytest.fixture
def admin(web: WebServer, root: Account) -> Iterator[Browser]:
    browser = Browser(web.url)
    browser.sign_in(root.user.email)
    browser.get("/admin/collections")
    yield browser
    browser.close()


def _collections(web: WebServer) -> list[Collection]:
    with web.db.read() as session:
        return all_collections(session)


def _audited(web: WebServer, action: str) -> list[AuditEntry]:
    with web.db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


FORM = {
    "title": "Drone sightings",
    "description": "Indicators about drones",
    "types": "indicator, report",
    "labels": "uav c2",
    "group": "",
    "read": ["analyst", "observer"],
    "write": ["analyst"],
}


def test_the_page_lists_collections_in_words(
    web: WebServer, world: World, staff: Organization, admin: Browser
) -> None:
    group = world.group(staff, name="Border working group")
    with web.db.write() as session:
        create_collection(
            session,
            "test",
            "Border feed",
            description="Everything about the border",
            types=["indicator"],
            labels=["border"],
            sharing_group_id=group.id,
            read_roles=["analyst"],
            write_roles=["org-admin"],
        )
    page = admin.get("/admin/collections")
    assert page.status_code == 200
    for text in ("Border feed", "Everything about the border", "Indicator", "border"):
        assert text in page.text
    assert "Border working group" in page.text
    assert "Analyst" in page.text
    assert "Organization administrator" in page.text


def test_a_node_admin_adds_a_collection(web: WebServer, root: Account, admin: Browser) -> None:
    response = admin.post("/admin/collections", FORM)
    assert response.status_code == 303
    (added,) = _collections(web)
    assert added.title == "Drone sightings"
    assert added.types == ["indicator", "report"]
    assert added.labels == ["c2", "uav"]
    assert added.read_roles == ["analyst", "observer"]
    assert added.write_roles == ["analyst"]
    assert added.sharing_group_id is None
    assert [e.actor for e in _audited(web, "collection.create")] == [f"user:{root.user.email}"]
    assert "Collection Drone sightings added." in admin.get("/admin/collections").text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "Give the collection a title"),
        ({"read": ["captain"]}, "Give the collection a title"),
        ({"group": "7b0c2b5e-0000-4000-8000-000000000000"}, "Choose a sharing group"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    web: WebServer, admin: Browser, change: dict[str, object], message: str
) -> None:
    refused = admin.post("/admin/collections", {**FORM, **change})
    assert refused.status_code == 422
    assert message in refused.text
    assert _collections(web) == []
    assert _audited(web, "collection.create") == []


def test_a_title_in_use_is_refused(web: WebServer, admin: Browser) -> None:
    assert admin.post("/admin/collections", FORM).status_code == 303
    admin.get("/admin/collections")
    again = admin.post("/admin/collections", {**FORM, "description": "another"})
    assert again.status_code == 422
    assert "A collection with this title exists already." in again.text
    assert [c.description for c in _collections(web)] == ["Indicators about drones"]


def test_edit_and_delete(web: WebServer, world: World, staff: Organization, admin: Browser) -> None:
    group = world.group(staff, name="Drone working group")
    admin.post("/admin/collections", FORM)
    (added,) = _collections(web)
    form = admin.get(f"/admin/collections/{added.id}")
    assert 'value="Drone sightings"' in form.text
    assert 'value="indicator, report"' in form.text
    changed = admin.post(
        f"/admin/collections/{added.id}",
        {**FORM, "title": "Drone feed", "types": "", "group": group.id, "write": []},
    )
    assert changed.status_code == 303
    (edited,) = _collections(web)
    assert (edited.title, edited.types, edited.sharing_group_id, edited.write_roles) == (
        "Drone feed",
        [],
        group.id,
        [],
    )
    assert len(_audited(web, "collection.update")) == 1
    admin.get("/admin/collections")
    assert admin.post(f"/admin/collections/{added.id}/delete").status_code == 303
    assert _collections(web) == []
    assert [e.target for e in _audited(web, "collection.delete")] == [added.id]
    admin.get("/admin/collections")
    assert admin.post(f"/admin/collections/{added.id}/delete").status_code == 404


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.ANALYST])
def test_only_node_admins_may(web: WebServer, world: World, role: Role) -> None:
    account = world.account(world.org(), role)
    person = Browser(web.url)
    try:
        person.sign_in(account.user.email)
        assert person.get("/admin/collections").status_code == 403
        assert "TAXII collections" not in person.get("/admin/users").text
        person.get("/")
        assert person.post("/admin/collections", FORM).status_code == 403
        assert _collections(web) == []
    finally:
        person.close()


def test_a_form_without_its_csrf_token_is_refused(web: WebServer, admin: Browser) -> None:
    assert admin.post("/admin/collections", FORM, token=False).status_code == 403
    assert _collections(web) == []


def test_the_page_is_translated(web: WebServer, root: Account) -> None:
    for accept, heading in (("ru", "Коллекции TAXII"), ("zh", "TAXII 集合")):
        person = Browser(web.url, **{"Accept-Language": accept})
        try:
            person.sign_in(root.user.email)
            assert heading in person.get("/admin/collections").text
        finally:
            person.close()
