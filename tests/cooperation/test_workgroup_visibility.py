"""The working group's objects follow the one access rule: what one cannot see does not
exist, in lists, counts, agendas, comments and errors alike."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from accord.federation.service import issue_node_key
from accord.organizations.models import Organization
from tests.cooperation.conftest import WORKGROUP, Cast
from tests.cooperation.test_workgroup_api import move, new_session, ok, propose
from tests.factories import World


def _org(world: World, name: str) -> Organization:
    with world.db.read() as session:
        return session.scalars(select(Organization).where(Organization.name == name)).one()


def test_a_group_issue_does_not_exist_outside_its_group(
    api: httpx.Client, world: World, cast: Cast, client: httpx.Client
) -> None:
    org_a = _org(world, "Defence Staff of Aldoria")
    group = world.group(org_a, _org(world, WORKGROUP))
    a, chair = world.refresh(cast.a), world.refresh(cast.chair)
    hidden = propose(
        api,
        a,
        "Vulnerable border crossings",
        distribution="group",
        sharing_group=group.id,
        tlp="amber",
    )
    assert hidden["sharing"] == {
        "distribution": "group",
        "sharing_group": group.id,
        "tlp": "TLP:AMBER",
    }
    public = propose(api, cast.b, "Common terminology")
    comment = ok(
        api.post(
            f"/workgroup/items/{hidden['id']}/comments",
            json={"text": "Sector 4"},
            headers=a.headers,
        ),
        201,
    )
    wg_session = new_session(api, chair)
    for item in (hidden, public):
        ok(move(api, chair, item["id"], "accepted"))
        ok(move(api, chair, item["id"], "scheduled", session=wg_session["id"]))

    # The group sees it; B, outside the group, sees only the node-wide issue.
    assert {i["id"] for i in ok(api.get("/workgroup/items", headers=a.headers))} == {
        hidden["id"],
        public["id"],
    }
    assert [i["id"] for i in ok(api.get("/workgroup/items", headers=cast.b.headers))] == [
        public["id"]
    ]
    agenda = ok(api.get(f"/workgroup/sessions/{wg_session['id']}/agenda", headers=cast.b.headers))
    assert [i["id"] for i in agenda["items"]] == [public["id"]]
    initiative = ok(api.get("/workgroup/initiative", headers=cast.b.headers))
    assert [(i["organization"], i["proposed"]) for i in initiative] == [(cast.b.user.org_id, 1)]
    not_found = f"no agenda item {hidden['id']}"
    for response in (
        api.get(f"/workgroup/items/{hidden['id']}", headers=cast.b.headers),
        api.get(f"/workgroup/items/{hidden['id']}/comments", headers=cast.b.headers),
        api.put(
            f"/workgroup/items/{hidden['id']}/support",
            json={"opinion": "agree"},
            headers=cast.b.headers,
        ),
        api.post(
            f"/workgroup/items/{hidden['id']}/comments", json={"text": "?"}, headers=cast.b.headers
        ),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == not_found
    for stix_id in (hidden["id"], comment["id"]):
        assert client.get(f"/api/v1/objects/{stix_id}", headers=cast.b.headers).status_code == 404
        assert client.get(f"/api/v1/objects/{stix_id}", headers=a.headers).status_code == 200

    # B cannot put an issue into a group it is not in; A cannot use a group the
    # working group's organization is not in.
    refused = api.post(
        "/workgroup/items",
        json={"name": "Sneak", "distribution": "group", "sharing_group": group.id},
        headers=cast.b.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"unknown sharing group {group.id}"
    private = world.group(org_a, _org(world, "General Staff of Belvania"))
    a = world.refresh(a)
    refused = api.post(
        "/workgroup/items",
        json={"name": "Aside", "distribution": "group", "sharing_group": private.id},
        headers=a.headers,
    )
    assert refused.status_code == 422
    assert "working group's organization is not a member" in refused.json()["detail"]


def test_a_peer_node_never_sees_the_node_wide_working_group(
    api: httpx.Client, world: World, cast: Cast, client: httpx.Client
) -> None:
    item = propose(api, cast.a, "Regional cooperation plan")
    peer = world.node("peer-east")
    with world.db.write() as session:
        secret = issue_node_key(session, "test", peer)
    headers = {"Authorization": f"Bearer {secret}"}
    assert ok(api.get("/workgroup/items", headers=headers)) == []
    assert api.get(f"/workgroup/items/{item['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/objects/{item['id']}", headers=headers).status_code == 404
    assert ok(api.get("/workgroup/initiative", headers=headers)) == []
    write = api.post("/workgroup/items", json={"name": "From afar"}, headers=headers)
    assert write.status_code == 403
    # Every organization with accounts on the node sees it, partners included.
    seen = ok(api.get("/workgroup/items", headers=cast.partner.headers))
    assert [i["id"] for i in seen] == [item["id"]]


def test_a_node_without_a_working_group_says_so(cast: Cast, client: httpx.Client) -> None:
    response = client.get("/api/v1/workgroup/items", headers=cast.a.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "this node has no expert working group"
