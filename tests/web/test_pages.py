"""The pages over plain HTTP: the report editor, publishing, administration, accounts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import orjson
import pyotp
import pytest

from accord.identity.models import Role, User
from accord.intel.service import ObjectFilter, get_latest, get_versions, list_objects
from accord.sharing.tlp import Tlp
from tests.factories import World
from tests.web.conftest import WebServer
from tests.web.support import Browser, Fields


class Team:
    def __init__(self, world: World) -> None:
        self.north = world.org("Northern Staff")
        self.east = world.org("Eastern Staff")
        self.west = world.org("Western Staff")
        self.group = world.group(self.north, self.east, name="Drone working group")
        self.ann = world.refresh(world.account(self.north))
        self.bob = world.refresh(world.account(self.east))
        self.boss = world.account(self.north, Role.ORG_ADMIN)
        self.root = world.account(self.west, Role.ADMIN)


@pytest.fixture
def team(world: World) -> Team:
    return Team(world)


@pytest.fixture
def person(web: WebServer) -> Iterator[Browser]:
    browser = Browser(web.url)
    yield browser
    browser.close()


def _draft(group: str = "", **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Drone relay near the northern border",
        "report_type": "threat-report",
        "description": "Two relays were found.",
        "labels": "drones, border security",
        "ind_kind": ["ipv4-addr", "domain-name", "ipv4-addr"],
        "ind_value": ["203.0.113.7", "Relay.Example.org", ""],
        "ind_id": ["", "", ""],
        "obs_kind": ["url"],
        "obs_value": ["https://relay.example.org/c2?id='1'"],
        "tlp": "green",
        "distribution": "group" if group else "org",
        "sharing_group": group,
        "then": "draft",
    }
    form.update(changes)
    return form


def _report_id(location: str) -> str:
    found = re.fullmatch(r"/objects/(report--[0-9a-f-]+)", location)
    assert found is not None, location
    return found.group(1)


def test_write_a_draft_with_two_indicators(person: Browser, team: Team, world: World) -> None:
    person.sign_in(team.ann.user.email)
    person.get("/reports/new")
    response = person.post("/reports/new", _draft(team.group.id))
    assert response.status_code == 303
    report_id = _report_id(response.headers["location"])
    with world.db.read() as session:
        row = get_latest(session, team.ann.principal, report_id)
        assert not row.published
        assert row.distribution == "group"
        assert row.sharing_group_id == team.group.id
        assert row.tlp == Tlp.GREEN
        obj = orjson.loads(row.stix)
        assert obj["labels"] == ["drones", "border security"]
        refs = [get_latest(session, team.ann.principal, r) for r in obj["object_refs"]]
    patterns = sorted(orjson.loads(r.stix).get("pattern", "") for r in refs)
    assert patterns == [
        "",
        "[domain-name:value = 'relay.example.org']",
        "[ipv4-addr:value = '203.0.113.7']",
    ]
    assert all(not r.published and r.sharing_group_id == team.group.id for r in refs)
    url = next(orjson.loads(r.stix) for r in refs if r.type == "url")
    assert url["value"] == "https://relay.example.org/c2?id='1'"
    with world.db.read() as session:  # a draft: the group does not see it yet
        assert list_objects(session, team.bob.principal, ObjectFilter(), 10).rows == []
    page = person.get(f"/objects/{report_id}")
    assert "This is a draft" in page.text
    assert person.post(f"/objects/{report_id}/publish").status_code == 303
    with world.db.read() as session:
        seen = list_objects(session, team.bob.principal, ObjectFilter(), 10).rows
    assert {r.type for r in seen} == {"report", "indicator", "url"}


def test_bad_values_are_shown_next_to_their_field(
    person: Browser, team: Team, world: World
) -> None:
    person.sign_in(team.ann.user.email)
    person.get("/reports/new")
    form = _draft(
        name="",
        ind_kind=["ipv4-addr", "file-sha256"],
        ind_value=["300.1.2.3", "abc"],
        ind_id=["", ""],
    )
    response = person.post("/reports/new", {**form, "distribution": "group", "sharing_group": ""})
    assert response.status_code == 422
    for message in (
        "Give the report a title.",
        "This is not an IPv4 address.",
        "A SHA-256 hash is 64 hexadecimal digits.",
        "Choose one of your organization's sharing groups.",
    ):
        assert message in response.text
    assert 'value="300.1.2.3"' in response.text  # what was typed is kept
    with world.db.read() as session:
        assert list_objects(session, team.ann.principal, ObjectFilter(), 10).rows == []


def test_a_group_one_is_not_in_cannot_be_chosen(person: Browser, team: Team, world: World) -> None:
    other = world.group(team.west, name="Western only")
    person.sign_in(team.ann.user.email)
    page = person.get("/reports/new")
    assert "Drone working group" in page.text
    assert "Western only" not in page.text
    response = person.post("/reports/new", _draft(other.id))
    assert response.status_code == 422
    assert "sharing groups" in response.text


def test_edit_makes_new_versions_of_what_changed_only(
    person: Browser, team: Team, world: World
) -> None:
    person.sign_in(team.ann.user.email)
    person.get("/reports/new")
    report_id = _report_id(person.post("/reports/new", _draft()).headers["location"])
    edit = person.get(f"/reports/{report_id}/edit")
    assert edit.status_code == 200
    ids = re.findall(r'name="ind_id" value="(indicator--[0-9a-f-]+)"', edit.text)
    assert len(ids) == 2
    kinds = re.findall(r'id="ind-kind-[0-9a-f]+" name="ind_kind">.*?selected', edit.text, re.S)
    assert kinds
    changed = _draft(
        name="Drone relay, revised",
        ind_kind=["ipv4-addr", "domain-name"],
        ind_value=["203.0.113.8", "relay.example.org"],
        ind_id=ids,
    )
    assert person.post(f"/reports/{report_id}/edit", changed).status_code == 303
    with world.db.read() as session:
        p = team.ann.principal
        assert len(get_versions(session, p, report_id)) == 2
        assert (
            orjson.loads(get_latest(session, p, report_id).stix)["name"] == "Drone relay, revised"
        )
        versions = {i: len(get_versions(session, p, i)) for i in ids}
        patterns = {i: orjson.loads(get_latest(session, p, i).stix)["pattern"] for i in ids}
    by_pattern = {patterns[i]: versions[i] for i in ids}
    assert by_pattern == {
        "[ipv4-addr:value = '203.0.113.8']": 2,  # changed: a new version of the same indicator
        "[domain-name:value = 'relay.example.org']": 1,  # unchanged: left alone
    }


def test_other_organizations_cannot_edit_and_observers_cannot_write(
    person: Browser, team: Team, world: World
) -> None:
    person.sign_in(team.ann.user.email)
    person.get("/reports/new")
    report_id = _report_id(
        person.post("/reports/new", _draft(then="publish", distribution="node")).headers["location"]
    )
    person.post("/logout")
    person.sign_in(team.bob.user.email)
    page = person.get(f"/objects/{report_id}")
    assert page.status_code == 200
    assert f"/reports/{report_id}/edit" not in page.text
    assert person.get(f"/reports/{report_id}/edit").status_code == 403
    assert person.post(f"/objects/{report_id}/publish").status_code == 403
    person.post("/logout")
    observer = world.account(team.east, Role.OBSERVER)
    person.sign_in(observer.user.email)
    assert "/reports/new" not in person.get("/").text
    assert person.get("/reports/new").status_code == 403


def test_the_audience_preview_names_who_will_see_it(person: Browser, team: Team) -> None:
    person.sign_in(team.ann.user.email)
    group = person.get(
        f"/reports/audience?distribution=group&sharing_group={team.group.id}&tlp=amber"
    )
    assert "Drone working group" in group.text
    assert "Eastern Staff" in group.text
    assert "Western Staff" not in group.text
    node = person.get("/reports/audience?distribution=node&tlp=green")
    assert all(name in node.text for name in ("Northern Staff", "Eastern Staff", "Western Staff"))
    red = person.get("/reports/audience?distribution=node&tlp=red")
    assert "TLP:RED is never shared" in red.text
    assert "Eastern Staff" not in red.text
    unknown = "00000000-0000-4000-8000-000000000000"
    alien = person.get(f"/reports/audience?distribution=group&sharing_group={unknown}&tlp=amber")
    assert alien.status_code == 200
    assert "Eastern Staff" not in alien.text


def test_every_field_has_a_label(person: Browser, team: Team, world: World) -> None:
    own = world.group(team.west, team.east, name="Western liaison")
    person.sign_in(team.root.user.email)
    person.get("/reports/new")
    report_id = _report_id(person.post("/reports/new", _draft()).headers["location"])
    pages = [
        "/",
        "/reports",
        "/reports/new",
        f"/reports/{report_id}/edit",
        f"/objects/{report_id}",
        "/account",
        "/account/totp",
        "/keys",
        "/groups",
        f"/groups/{own.id}",
        "/admin/users",
        "/admin/organizations",
    ]
    for path in pages:
        response = person.get(path)
        assert response.status_code == 200, path
        fields = Fields()
        fields.feed(response.text)
        assert fields.controls, path
        assert fields.unlabelled() == [], path
    person.post("/logout")
    for path in ("/login",):
        fields = Fields()
        fields.feed(person.get(path).text)
        assert fields.unlabelled() == []


def test_admin_adds_a_user_whose_password_is_shown_once(
    person: Browser, team: Team, web: WebServer
) -> None:
    person.sign_in(team.boss.user.email)
    person.get("/admin/users")
    created = person.post(
        "/admin/users",
        {"email": "new.officer@north.example", "org": team.north.id, "role": "analyst"},
    )
    assert created.status_code == 200
    password = re.search(r'id="new-password">([^<]+)<', created.text)
    assert password is not None
    assert password.group(1) not in person.get("/admin/users").text  # shown once
    newcomer = Browser(web.url)
    assert newcomer.sign_in("new.officer@north.example", password.group(1)).status_code == 303
    with web.db.read() as session:
        user = session.query(User).filter_by(email="new.officer@north.example").one()
    reset = person.post(f"/admin/users/{user.id}", {"action": "reset"})
    fresh = re.search(r'id="new-password">([^<]+)<', reset.text)
    assert fresh is not None
    assert fresh.group(1) != password.group(1)
    assert newcomer.get("/").status_code == 303  # the reset ended the user's session
    assert newcomer.sign_in("new.officer@north.example", fresh.group(1)).status_code == 303
    newcomer.close()
    # An org-admin manages the users of their own organization only.
    assert team.bob.user.email not in person.get("/admin/users").text
    assert person.post(f"/admin/users/{team.bob.user.id}", {"action": "disable"}).status_code == 404


def test_analysts_have_no_administration(person: Browser, team: Team) -> None:
    person.sign_in(team.ann.user.email)
    assert "/admin/users" not in person.get("/").text
    assert person.get("/admin/users").status_code == 403
    assert person.get("/admin/organizations").status_code == 403
    assert (
        person.post(
            "/admin/organizations", {"name": "X", "country": "XX", "kind": "member"}
        ).status_code
        == 403
    )


def test_node_admin_adds_an_organization(person: Browser, team: Team) -> None:
    person.sign_in(team.root.user.email)
    person.get("/admin/organizations")
    assert (
        person.post(
            "/admin/organizations", {"name": "Southern Staff", "country": "ss", "kind": "partner"}
        ).status_code
        == 303
    )
    assert "Southern Staff" in person.get("/admin/organizations").text
    duplicate = person.post(
        "/admin/organizations", {"name": "Southern Staff", "country": "SS", "kind": "partner"}
    )
    assert duplicate.status_code == 422
    assert "exists already" in duplicate.text


def test_api_key_is_shown_once_and_works(person: Browser, team: Team, web: WebServer) -> None:
    person.sign_in(team.ann.user.email)
    person.get("/keys")
    created = person.post("/keys", {"name": "feed reader"})
    key = re.search(r'id="new-key">([^<]+)<', created.text)
    assert key is not None
    assert key.group(1) not in person.get("/keys").text
    with httpx.Client(base_url=web.url, headers={"Authorization": f"Bearer {key.group(1)}"}) as api:
        assert api.get("/api/v1/me").json()["user"]["email"] == team.ann.user.email
        key_id = re.search(
            r'feed reader</td>.*?action="/keys/([0-9a-f-]+)/revoke"', person.get("/keys").text, re.S
        )
        assert key_id is not None
        assert person.post(f"/keys/{key_id.group(1)}/revoke").status_code == 303
        assert api.get("/api/v1/me").status_code == 401


def test_sharing_groups_are_created_and_managed(person: Browser, team: Team, world: World) -> None:
    person.sign_in(team.boss.user.email)
    person.get("/groups")
    created = person.post(
        "/groups", {"name": "Border liaison", "description": "Weekly", "members": [team.east.id]}
    )
    assert created.status_code == 303
    page = person.get(created.headers["location"])
    assert "Eastern Staff" in page.text
    group_id = created.headers["location"].rsplit("/", 1)[1]
    assert person.post(f"/groups/{group_id}/members", {"org": team.west.id}).status_code == 303
    assert "Western Staff" in person.get(f"/groups/{group_id}").text
    assert person.post(f"/groups/{group_id}/members/{team.east.id}/remove").status_code == 303
    person.post("/logout")
    person.sign_in(team.bob.user.email)  # no longer a member: the group does not exist for them
    assert person.get(f"/groups/{group_id}").status_code == 404
    assert "Border liaison" not in person.get("/groups").text


def test_totp_enrolment_shows_a_qr_code_and_the_secret(
    person: Browser, team: Team, web: WebServer
) -> None:
    person.sign_in(team.ann.user.email)
    page = person.get("/account/totp")
    assert "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text)
    assert secret is not None
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
    assert (
        person.post(
            "/account/totp", {"code": "000000" if code != "000000" else "111111"}
        ).status_code
        == 422
    )
    assert person.post("/account/totp", {"code": code}).status_code == 303
    assert "Turn off two-step verification" in person.get("/account").text
    person.post("/logout")
    assert person.sign_in(team.ann.user.email).headers["location"] == "/login/code"


def test_nul_characters_are_refused_before_any_query(
    person: Browser, team: Team, world: World
) -> None:
    person.sign_in(team.ann.user.email)
    assert person.get("/reports", params={"label": "a\x00b"}).status_code == 400
    assert person.get("/reports", params={"before": "9" * 30}).status_code == 200
    person.get("/reports/new")
    refused = person.post("/reports/new", _draft(name="Title\x00"))
    assert refused.status_code == 400
    assert "NUL" in refused.text
    with world.db.read() as session:
        assert list_objects(session, team.ann.principal, ObjectFilter(), 10).rows == []
