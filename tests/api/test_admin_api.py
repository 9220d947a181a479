"""REST administration: organizations, users, API keys, sharing groups, /me, OpenAPI."""

from __future__ import annotations

import uuid

import httpx
import pytest

from accord.identity.models import Role
from accord.identity.service import authenticate_password
from tests.factories import Account, World

UUID4 = 36


def _missing() -> str:
    return str(uuid.uuid4())


# --- organizations ----------------------------------------------------------------------


def test_every_user_lists_and_reads_organizations(world: World, client: httpx.Client) -> None:
    north = world.org("Northern Staff", country="NS")
    east = world.org("Eastern Staff", country="ES")
    observer = world.account(north, Role.OBSERVER)
    r = client.get("/api/v1/organizations", headers=observer.headers)
    assert r.status_code == 200, r.text
    listed = {o["name"]: o for o in r.json()}
    assert set(listed) == {"Northern Staff", "Eastern Staff"}
    assert listed["Eastern Staff"]["id"] == east.id
    assert listed["Eastern Staff"]["identity"] == f"identity--{east.id}"
    assert listed["Eastern Staff"]["local"] is True
    one = client.get(f"/api/v1/organizations/{east.id}", headers=observer.headers)
    assert one.status_code == 200
    assert one.json()["country"] == "ES"
    missing = client.get(f"/api/v1/organizations/{_missing()}", headers=observer.headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_only_a_node_admin_adds_organizations(world: World, client: httpx.Client) -> None:
    home = world.org()
    admin = world.account(home, Role.ADMIN)
    body = {"name": "Western Staff", "country": "ws", "kind": "partner"}
    for role in (Role.ORG_ADMIN, Role.ANALYST, Role.CONTRIBUTOR, Role.OBSERVER):
        refused = client.post(
            "/api/v1/organizations", json=body, headers=world.account(home, role).headers
        )
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["error"] == "forbidden"
    names = [o["name"] for o in client.get("/api/v1/organizations", headers=admin.headers).json()]
    assert "Western Staff" not in names

    r = client.post("/api/v1/organizations", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert len(created["id"]) == UUID4
    assert uuid.UUID(created["id"])
    assert created["country"] == "WS"
    assert created["kind"] == "partner"
    got = client.get(f"/api/v1/organizations/{created['id']}", headers=admin.headers)
    assert got.json()["name"] == "Western Staff"


def test_duplicate_organization_name_is_409(world: World, client: httpx.Client) -> None:
    admin = world.account(world.org("Central Staff"), Role.ADMIN)
    body = {"name": "Central Staff", "country": "CS", "kind": "member"}
    r = client.post("/api/v1/organizations", json=body, headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["error"] == "conflict"
    assert "Central Staff" in r.json()["detail"]


@pytest.mark.parametrize(
    ("country", "kind"),
    [("N1", "member"), ("NOR", "member"), ("", "member"), ("NS", "empire"), ("NS", None)],
)
def test_bad_country_or_kind_is_422(
    world: World, client: httpx.Client, country: str, kind: str | None
) -> None:
    admin = world.account(world.org(), Role.ADMIN)
    r = client.post(
        "/api/v1/organizations",
        json={"name": "Southern Staff", "country": country, "kind": kind},
        headers=admin.headers,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"] in {"invalid", "invalid_request"}
    names = [o["name"] for o in client.get("/api/v1/organizations", headers=admin.headers).json()]
    assert "Southern Staff" not in names


# --- users ------------------------------------------------------------------------------


def _add_user(
    client: httpx.Client, by: Account, email: str, role: str, org_id: str | None = None
) -> httpx.Response:
    body = {"email": email, "role": role} | ({"org_id": org_id} if org_id else {})
    return client.post("/api/v1/users", json=body, headers=by.headers)


def test_admin_adds_users_anywhere_and_the_password_is_shown_once(
    world: World, client: httpx.Client
) -> None:
    home, other = world.org(), world.org()
    admin = world.account(home, Role.ADMIN)
    r = _add_user(client, admin, "Dana@Other.Example", "analyst", other.id)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["org_id"] == other.id
    assert new["email"] == "dana@other.example"
    assert new["role"] == "analyst"
    assert new["is_active"] is True
    password = new["password"]
    assert len(password) >= 12
    with world.db.write() as session:
        assert authenticate_password(session, "dana@other.example", password) is not None

    again = client.get(f"/api/v1/users/{new['id']}", headers=admin.headers)
    assert again.status_code == 200
    assert "password" not in again.json()
    assert password not in again.text
    listing = client.get("/api/v1/users", headers=admin.headers)
    assert password not in listing.text
    assert all("password" not in u and "password_hash" not in u for u in listing.json())

    duplicate = _add_user(client, admin, "dana@other.example", "observer", home.id)
    assert duplicate.status_code == 409


def test_org_admin_adds_users_to_own_org_only(world: World, client: httpx.Client) -> None:
    home, other = world.org(), world.org()
    org_admin = world.account(home, Role.ORG_ADMIN)
    analyst = world.account(home, Role.ANALYST)

    own = _add_user(client, org_admin, "eve@home.example", "contributor")
    assert own.status_code == 201, own.text
    assert own.json()["org_id"] == home.id
    explicit = _add_user(client, org_admin, "fay@home.example", "observer", home.id)
    assert explicit.status_code == 201

    elsewhere = _add_user(client, org_admin, "gil@other.example", "analyst", other.id)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"] == "forbidden"
    by_analyst = _add_user(client, analyst, "hal@home.example", "observer")
    assert by_analyst.status_code == 403
    unknown_org = _add_user(client, org_admin, "ian@home.example", "observer", _missing())
    assert unknown_org.status_code == 404
    bad_email = _add_user(client, org_admin, "not-an-address", "observer")
    assert bad_email.status_code == 422
    bad_role = _add_user(client, org_admin, "jo@home.example", "overlord")
    assert bad_role.status_code == 422

    emails = {u["email"] for u in client.get("/api/v1/users", headers=org_admin.headers).json()}
    assert {"eve@home.example", "fay@home.example"} <= emails
    assert not emails & {"gil@other.example", "hal@home.example", "jo@home.example"}


def test_only_a_node_admin_grants_admin(world: World, client: httpx.Client) -> None:
    home = world.org()
    org_admin = world.account(home, Role.ORG_ADMIN)
    admin = world.account(home, Role.ADMIN)
    refused = _add_user(client, org_admin, "kim@home.example", "admin")
    assert refused.status_code == 403
    assert "admin" in refused.json()["detail"]
    granted = _add_user(client, admin, "kim@home.example", "admin")
    assert granted.status_code == 201
    assert granted.json()["role"] == "admin"


def test_non_admins_see_their_own_org_users_only(world: World, client: httpx.Client) -> None:
    home, other = world.org(), world.org()
    analyst = world.account(home, Role.ANALYST)
    org_admin = world.account(home, Role.ORG_ADMIN)
    stranger = world.account(other, Role.ANALYST)
    admin = world.account(other, Role.ADMIN)

    for viewer in (analyst, org_admin):
        listed = client.get("/api/v1/users", headers=viewer.headers).json()
        assert {u["id"] for u in listed} == {analyst.user.id, org_admin.user.id}
        hidden = client.get(f"/api/v1/users/{stranger.user.id}", headers=viewer.headers)
        unknown = client.get(f"/api/v1/users/{_missing()}", headers=viewer.headers)
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json()["error"] == unknown.json()["error"] == "not_found"
        mine = client.get(f"/api/v1/users/{analyst.user.id}", headers=viewer.headers)
        assert mine.status_code == 200
        assert mine.json()["email"] == analyst.user.email

    everyone = {u["id"] for u in client.get("/api/v1/users", headers=admin.headers).json()}
    assert everyone == {analyst.user.id, org_admin.user.id, stranger.user.id, admin.user.id}
    seen = client.get(f"/api/v1/users/{analyst.user.id}", headers=admin.headers)
    assert seen.status_code == 200


def test_patch_role_follows_the_same_rules(world: World, client: httpx.Client) -> None:
    home, other = world.org(), world.org()
    org_admin = world.account(home, Role.ORG_ADMIN)
    analyst = world.account(home, Role.ANALYST)
    colleague = world.account(home, Role.OBSERVER)
    stranger = world.account(other, Role.ANALYST)
    admin = world.account(other, Role.ADMIN)

    def patch(by: Account, target: Account, body: dict[str, object]) -> httpx.Response:
        return client.patch(f"/api/v1/users/{target.user.id}", json=body, headers=by.headers)

    changed = patch(org_admin, colleague, {"role": "contributor"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "contributor"
    assert patch(analyst, colleague, {"role": "analyst"}).status_code == 403
    assert patch(org_admin, stranger, {"role": "observer"}).status_code == 404
    assert patch(org_admin, colleague, {"role": "admin"}).status_code == 403
    assert patch(org_admin, colleague, {"role": "overlord"}).status_code == 422
    assert patch(org_admin, colleague, {"email": "x@y.example"}).status_code == 422

    promoted = patch(admin, colleague, {"role": "admin"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    # An org-admin may not take the admin role away either.
    assert patch(org_admin, colleague, {"role": "observer"}).status_code == 403
    assert patch(admin, stranger, {"role": "org-admin"}).json()["role"] == "org-admin"
    mine = client.get(f"/api/v1/users/{colleague.user.id}", headers=org_admin.headers).json()
    assert mine["role"] == "admin"


def test_disabled_user_key_stops_working(world: World, client: httpx.Client) -> None:
    home = world.org()
    org_admin = world.account(home, Role.ORG_ADMIN)
    analyst = world.account(home, Role.ANALYST)
    stranger = world.account(world.org(), Role.ORG_ADMIN)
    assert client.get("/api/v1/me", headers=analyst.headers).status_code == 200

    url = f"/api/v1/users/{analyst.user.id}"
    assert client.patch(url, json={"is_active": False}, headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/me", headers=analyst.headers).status_code == 200

    off = client.patch(url, json={"is_active": False}, headers=org_admin.headers)
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    refused = client.get("/api/v1/me", headers=analyst.headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"
    assert client.get("/api/v1/objects", headers=analyst.headers).status_code == 401

    on = client.patch(url, json={"is_active": True}, headers=org_admin.headers)
    assert on.json()["is_active"] is True
    assert client.get("/api/v1/me", headers=analyst.headers).status_code == 200

    own = f"/api/v1/users/{org_admin.user.id}"
    self_off = client.patch(own, json={"is_active": False}, headers=org_admin.headers)
    assert self_off.status_code == 422
    assert client.get("/api/v1/me", headers=org_admin.headers).status_code == 200


# --- API keys ---------------------------------------------------------------------------


def _keys(client: httpx.Client, account: Account) -> dict[str, dict[str, object]]:
    r = client.get("/api/v1/apikeys", headers=account.headers)
    assert r.status_code == 200, r.text
    return {k["id"]: k for k in r.json()}


def test_api_key_is_shown_once_works_and_is_revoked(world: World, client: httpx.Client) -> None:
    alice = world.account(world.org(), Role.ANALYST)
    r = client.post("/api/v1/apikeys", json={"name": "laptop"}, headers=alice.headers)
    assert r.status_code == 201, r.text
    issued = r.json()
    secret = issued["key"]
    assert secret.startswith("acc_")
    assert issued["prefix"] == secret[: len(issued["prefix"])]
    assert len(issued["prefix"]) < len(secret)
    assert issued["user_id"] == alice.user.id
    assert issued["last_used_at"] is None

    listed = _keys(client, alice)
    entry = listed[issued["id"]]
    assert entry["name"] == "laptop"
    assert entry["prefix"] == issued["prefix"]
    assert "key" not in entry
    assert "key_hash" not in entry
    assert entry["last_used_at"] is None
    listing_text = client.get("/api/v1/apikeys", headers=alice.headers).text
    assert secret not in listing_text
    assert alice.key not in listing_text

    bearer = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["user"]["id"] == alice.user.id
    assert _keys(client, alice)[issued["id"]]["last_used_at"] is not None

    revoked = client.delete(f"/api/v1/apikeys/{issued['id']}", headers=alice.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    gone = client.get("/api/v1/me", headers=bearer)
    assert gone.status_code == 401
    assert gone.json()["error"] == "unauthorized"
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 200


def test_users_cannot_list_or_revoke_other_users_keys(world: World, client: httpx.Client) -> None:
    home = world.org()
    alice = world.account(home, Role.ANALYST)
    bob = world.account(home, Role.ANALYST)
    stranger = world.account(world.org(), Role.ORG_ADMIN)
    issued = client.post("/api/v1/apikeys", json={"name": "a"}, headers=alice.headers).json()

    assert issued["id"] not in _keys(client, bob)
    assert all(k["user_id"] == bob.user.id for k in _keys(client, bob).values())
    assert issued["id"] not in _keys(client, stranger)
    for other in (bob, stranger):
        r = client.delete(f"/api/v1/apikeys/{issued['id']}", headers=other.headers)
        assert r.status_code == 404
        assert r.json()["error"] == "not_found"
    assert client.delete(f"/api/v1/apikeys/{_missing()}", headers=bob.headers).status_code == 404
    bearer = {"Authorization": f"Bearer {issued['key']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200

    for_alice = client.post("/api/v1/apikeys", json={"user_id": alice.user.id}, headers=bob.headers)
    assert for_alice.status_code == 403


def test_org_admin_manages_keys_of_own_org_users(world: World, client: httpx.Client) -> None:
    home = world.org()
    org_admin = world.account(home, Role.ORG_ADMIN)
    alice = world.account(home, Role.ANALYST)
    stranger = world.account(world.org(), Role.ANALYST)

    r = client.post(
        "/api/v1/apikeys", json={"user_id": alice.user.id, "name": "ops"}, headers=org_admin.headers
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["user_id"] == alice.user.id
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['key']}"})
    assert me.json()["user"]["id"] == alice.user.id
    assert issued["id"] in _keys(client, alice)
    assert issued["id"] in _keys(client, org_admin)

    elsewhere = client.post(
        "/api/v1/apikeys", json={"user_id": stranger.user.id}, headers=org_admin.headers
    )
    assert elsewhere.status_code == 404
    revoked = client.delete(f"/api/v1/apikeys/{issued['id']}", headers=org_admin.headers)
    assert revoked.status_code == 200
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['key']}"}).status_code
        == 401
    )


# --- sharing groups ---------------------------------------------------------------------


def test_org_admin_creates_a_group_by_member_name_or_uuid(
    world: World, client: httpx.Client
) -> None:
    north, east, west = world.org("North"), world.org("East"), world.org("West")
    org_admin = world.account(north, Role.ORG_ADMIN)
    analyst = world.account(north, Role.ANALYST)
    body = {"name": "Drone working group", "description": "UAV", "members": ["East", west.id]}

    refused = client.post("/api/v1/sharing-groups", json=body, headers=analyst.headers)
    assert refused.status_code == 403
    assert client.get("/api/v1/sharing-groups", headers=analyst.headers).json() == []

    r = client.post("/api/v1/sharing-groups", json=body, headers=org_admin.headers)
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["owner_org_id"] == north.id
    assert set(group["members"]) == {north.id, east.id, west.id}
    assert group["description"] == "UAV"

    alone = client.post(
        "/api/v1/sharing-groups", json={"name": "Alone"}, headers=org_admin.headers
    ).json()
    assert alone["members"] == [north.id]
    unknown = client.post(
        "/api/v1/sharing-groups",
        json={"name": "Ghosts", "members": ["No Such Staff"]},
        headers=org_admin.headers,
    )
    assert unknown.status_code == 404
    names = {
        g["name"] for g in client.get("/api/v1/sharing-groups", headers=analyst.headers).json()
    }
    assert names == {"Drone working group", "Alone"}


def test_a_group_exists_only_for_its_members(world: World, client: httpx.Client) -> None:
    north, east, south = world.org("North"), world.org("East"), world.org("South")
    group = world.group(north, east, name="Liaison")
    member = world.account(east, Role.ANALYST)
    outsider = world.account(south, Role.ORG_ADMIN)
    outsider_admin = world.account(south, Role.ADMIN)

    seen = client.get(f"/api/v1/sharing-groups/{group.id}", headers=member.headers)
    assert seen.status_code == 200
    assert set(seen.json()["members"]) == {north.id, east.id}
    assert [
        g["id"] for g in client.get("/api/v1/sharing-groups", headers=member.headers).json()
    ] == [group.id]

    nowhere = f"/api/v1/sharing-groups/{_missing()}"
    for who in (outsider, outsider_admin):
        assert client.get("/api/v1/sharing-groups", headers=who.headers).json() == []
        hidden = client.get(f"/api/v1/sharing-groups/{group.id}", headers=who.headers)
        absent = client.get(nowhere, headers=who.headers)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["detail"] == f"no sharing group {group.id}"
        add = client.post(
            f"/api/v1/sharing-groups/{group.id}/members", json={"org": "South"}, headers=who.headers
        )
        assert add.status_code == 404
        assert add.json()["detail"] == f"no sharing group {group.id}"
        remove = client.delete(
            f"/api/v1/sharing-groups/{group.id}/members/{east.id}", headers=who.headers
        )
        assert remove.status_code == 404
    still = client.get(f"/api/v1/sharing-groups/{group.id}", headers=member.headers).json()
    assert set(still["members"]) == {north.id, east.id}


def test_owner_org_admin_changes_membership(world: World, client: httpx.Client) -> None:
    north, east, south = world.org("North"), world.org("East"), world.org("South")
    group = world.group(north, east, name="Liaison")
    owner_admin = world.account(north, Role.ORG_ADMIN)
    member_analyst = world.account(east, Role.ANALYST)
    member_admin = world.account(east, Role.ORG_ADMIN)
    newcomer = world.account(south, Role.OBSERVER)
    members_url = f"/api/v1/sharing-groups/{group.id}/members"

    for who in (member_analyst, member_admin):
        r = client.post(members_url, json={"org": "South"}, headers=who.headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "forbidden"
        r = client.delete(f"{members_url}/{north.id}", headers=who.headers)
        assert r.status_code == 403
    assert (
        client.get(f"/api/v1/sharing-groups/{group.id}", headers=newcomer.headers).status_code
        == 404
    )

    added = client.post(members_url, json={"org": "South"}, headers=owner_admin.headers)
    assert added.status_code == 200, added.text
    assert set(added.json()["members"]) == {north.id, east.id, south.id}
    seen = client.get(f"/api/v1/sharing-groups/{group.id}", headers=newcomer.headers)
    assert seen.status_code == 200
    assert group.id in client.get("/api/v1/me", headers=newcomer.headers).json()["sharing_groups"]

    removed = client.delete(f"{members_url}/{south.id}", headers=owner_admin.headers)
    assert removed.status_code == 200
    assert set(removed.json()["members"]) == {north.id, east.id}
    assert (
        client.get(f"/api/v1/sharing-groups/{group.id}", headers=newcomer.headers).status_code
        == 404
    )
    by_name = client.delete(f"{members_url}/East", headers=owner_admin.headers)
    assert by_name.json()["members"] == [north.id]
    assert (
        client.get(f"/api/v1/sharing-groups/{group.id}", headers=member_analyst.headers).status_code
        == 404
    )

    owner_leaves = client.delete(f"{members_url}/{north.id}", headers=owner_admin.headers)
    assert owner_leaves.status_code == 422
    unknown_org = client.post(members_url, json={"org": "Nobody"}, headers=owner_admin.headers)
    assert unknown_org.status_code == 404


# --- /me and OpenAPI --------------------------------------------------------------------


def test_me_shows_user_organization_and_groups(world: World, client: httpx.Client) -> None:
    north, east = world.org("North"), world.org("East")
    alice = world.account(north, Role.CONTRIBUTOR)
    mine = world.group(north, name="Mine")
    theirs = world.group(east, north, name="Theirs")
    world.group(east, name="Not mine")
    r = client.get("/api/v1/me", headers=alice.headers)
    assert r.status_code == 200
    me = r.json()
    assert me["user"]["id"] == alice.user.id
    assert me["user"]["email"] == alice.user.email
    assert me["user"]["role"] == "contributor"
    assert me["user"]["org_id"] == north.id
    assert "password" not in me["user"]
    assert me["organization"] == north.id
    assert me["organization_name"] == "North"
    assert sorted(me["sharing_groups"]) == sorted([mine.id, theirs.id])


def test_openapi_lists_the_v1_paths(client: httpx.Client) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/api/v1/objects",
        "/api/v1/objects/{stix_id}",
        "/api/v1/objects/{stix_id}/revoke",
        "/api/v1/objects/{stix_id}/publish",
        "/api/v1/reports/{stix_id}/publish",
        "/api/v1/organizations",
        "/api/v1/organizations/{org_id}",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/apikeys",
        "/api/v1/apikeys/{key_id}",
        "/api/v1/sharing-groups",
        "/api/v1/sharing-groups/{group_id}",
        "/api/v1/sharing-groups/{group_id}/members",
        "/api/v1/sharing-groups/{group_id}/members/{org_id}",
        "/api/v1/me",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/users/{user_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/objects"]) == {"get", "post"}
