"""DESIGN.md section 2, one rule a test, through the real ingest path and read services."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from accord.errors import Forbidden, NotFound
from accord.identity.models import Role
from accord.intel import service
from accord.intel.ingest import IngestForbidden, Status
from accord.intel.models import StixObject
from accord.organizations.models import Node, Organization
from accord.sharing.distribution import Distribution
from accord.sharing.models import sharing_group_nodes
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.tlp import Tlp
from tests.factories import Account, World, indicator, report

WIDE = [Distribution.NODE, Distribution.FEDERATION, Distribution.OPEN]
# STIX 2.1 section 7.2.1.4: the TLP 1.0 marking definitions.
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TLP1_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TLP1_RED = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"


def listed(world: World, principal: Principal) -> set[str]:
    with world.db.read() as session:
        page = service.list_objects(session, principal, service.ObjectFilter(), 1000)
    return {row.stix_id for row in page.rows}


def sees(world: World, principal: Principal, stix_id: str) -> bool:
    """Whether get_latest finds the object; listings must say the same."""
    with world.db.read() as session:
        try:
            service.get_latest(session, principal, stix_id)
        except NotFound:
            found = False
        else:
            found = True
    assert found == (stix_id in listed(world, principal))
    return found


def share(
    world: World,
    author: Account,
    *,
    distribution: Distribution,
    tlp: Tlp = Tlp.NONE,
    group: str | None = None,
    published: bool = True,
) -> str:
    """Ingest one indicator with these sharing settings; its id."""
    obj = indicator(tlp=tlp)
    result = world.ingest(
        author, obj, distribution=distribution, sharing_group=group, published=published
    )
    assert result.ok, result.results
    return str(obj["id"])


def node_principal(world: World, node: Node) -> Principal:
    """A peer node as it reads: the groups that name it as a carrier."""
    with world.db.read() as session:
        carried = session.scalars(
            select(sharing_group_nodes.c.group_id).where(sharing_group_nodes.c.node_id == node.id)
        )
        groups = frozenset(carried)
    return Principal(
        kind=PrincipalKind.NODE,
        id=node.id,
        label=node.name,
        local_node_id=world.local_node_id,
        node_id=node.id,
        group_ids=groups,
    )


def arrived_from(world: World, stix_id: str, org: Organization) -> None:
    """Stand-in for federation: make the stored object one that `org`'s node sent us."""
    with world.db.write() as session:
        session.execute(
            update(StixObject)
            .where(StixObject.stix_id == stix_id)
            .values(owner_org_id=org.id, origin_node_id=org.node_id)
        )


# --- user principals ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.CONTRIBUTOR, Role.ORG_ADMIN])
def test_owner_org_sees_its_drafts(world: World, role: Role) -> None:
    org = world.org()
    author = world.account(org, Role.CONTRIBUTOR)
    colleague = world.account(org, role)
    draft = share(world, author, distribution=Distribution.ORG, published=False)
    assert sees(world, author.principal, draft)
    assert sees(world, colleague.principal, draft)


@pytest.mark.parametrize("distribution", list(Distribution))
def test_others_never_see_drafts(world: World, distribution: Distribution) -> None:
    owner, other = world.org(), world.org()
    group = world.group(owner, other)
    alice, bob = world.account(owner), world.account(other, Role.ADMIN)
    gid = group.id if distribution is Distribution.GROUP else None
    draft = share(world, alice, distribution=distribution, group=gid, published=False)
    shared = share(world, alice, distribution=distribution, group=gid)
    assert not sees(world, bob.principal, draft)
    # The same object published: bob sees it unless the distribution is org.
    assert sees(world, bob.principal, shared) is (distribution is not Distribution.ORG)


def test_org_distribution_reaches_the_owner_org_only(world: World) -> None:
    owner = world.org()
    alice, colleague = world.account(owner), world.account(owner, Role.OBSERVER)
    bob = world.account(world.org(), Role.ADMIN)
    private = share(world, alice, distribution=Distribution.ORG)
    assert sees(world, colleague.principal, private)
    assert not sees(world, bob.principal, private)


@pytest.mark.parametrize("distribution", WIDE)
def test_wide_distribution_reaches_every_local_org(
    world: World, distribution: Distribution
) -> None:
    alice = world.account(world.org())
    others = [world.account(world.org(), role) for role in (Role.OBSERVER, Role.CONTRIBUTOR)]
    shared = share(world, alice, distribution=distribution, tlp=Tlp.AMBER_STRICT)
    assert all(sees(world, account.principal, shared) for account in others)


def test_group_distribution_reaches_member_orgs_only(world: World) -> None:
    owner, member, outsider = world.org(), world.org(), world.org()
    group = world.group(owner, member)
    alice, bob, carol = world.account(owner), world.account(member), world.account(outsider)
    shared = share(world, alice, distribution=Distribution.GROUP, group=group.id)
    assert sees(world, bob.principal, shared)
    assert not sees(world, carol.principal, shared)


def test_red_in_a_group_reaches_owner_and_members_only(world: World) -> None:
    owner, member, outsider = world.org(), world.org(), world.org()
    group = world.group(owner, member)
    alice, bob, carol = world.account(owner), world.account(member), world.account(outsider)
    red = share(world, alice, distribution=Distribution.GROUP, group=group.id, tlp=Tlp.RED)
    assert sees(world, alice.principal, red)
    assert sees(world, bob.principal, red)
    assert not sees(world, carol.principal, red)


@pytest.mark.parametrize("distribution", WIDE)
def test_red_with_wide_distribution_reaches_the_owner_only(
    world: World, distribution: Distribution
) -> None:
    owner = world.org()
    alice, colleague = world.account(owner), world.account(owner, Role.OBSERVER)
    bob = world.account(world.org(), Role.ADMIN)
    red = share(world, alice, distribution=distribution, tlp=Tlp.RED)
    assert sees(world, colleague.principal, red)
    assert not sees(world, bob.principal, red)


def test_others_read_the_newest_published_version_owner_the_newest(world: World) -> None:
    alice, bob = world.account(world.org()), world.account(world.org())
    v1 = indicator(modified="2026-01-01T00:00:00.000Z", created="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, v1, distribution=Distribution.NODE).ok
    v2 = dict(v1, modified="2026-02-01T00:00:00.000Z", name="draft rewrite")
    assert world.ingest(alice, v2, distribution=Distribution.NODE, published=False).ok
    with world.db.read() as session:
        mine = service.get_latest(session, alice.principal, v1["id"])
        theirs = service.get_latest(session, bob.principal, v1["id"])
        theirs_all = service.get_versions(session, bob.principal, v1["id"])
    assert (mine.modified[:10], mine.published) == ("2026-02-01", False)
    assert (theirs.modified[:10], theirs.published) == ("2026-01-01", True)
    assert [row.modified[:10] for row in theirs_all] == ["2026-01-01"]


# --- node principals ---------------------------------------------------------------------


def test_node_never_receives_drafts(world: World) -> None:
    peer = node_principal(world, world.node())
    alice = world.account(world.org())
    draft = share(world, alice, distribution=Distribution.OPEN, published=False)
    shared = share(world, alice, distribution=Distribution.OPEN)
    assert listed(world, peer) == {shared}
    assert not sees(world, peer, draft)


def test_node_never_receives_red(world: World) -> None:
    node = world.node()
    owner, partner = world.org(), world.org(node_id=node.id)
    group = world.group(owner, partner)
    alice, peer = world.account(owner), node_principal(world, node)
    red_open = share(world, alice, distribution=Distribution.OPEN, tlp=Tlp.RED)
    red_group = share(world, alice, distribution=Distribution.GROUP, group=group.id, tlp=Tlp.RED)
    amber_group = share(world, alice, distribution=Distribution.GROUP, group=group.id)
    assert listed(world, peer) == {amber_group}
    assert not sees(world, peer, red_open)
    assert not sees(world, peer, red_group)


@pytest.mark.parametrize("distribution", [Distribution.ORG, Distribution.NODE])
def test_org_and_node_distribution_never_leave(world: World, distribution: Distribution) -> None:
    peer = node_principal(world, world.node())
    alice = world.account(world.org(), Role.ADMIN)
    kept = share(world, alice, distribution=distribution, tlp=Tlp.CLEAR)
    assert not sees(world, peer, kept)
    assert listed(world, peer) == set()


def test_federation_goes_one_hop_only(world: World) -> None:
    here_peer, far = world.node(), world.node()
    peer = node_principal(world, here_peer)
    remote = world.org(node_id=far.id)
    alice = world.account(world.org())
    ours = share(world, alice, distribution=Distribution.FEDERATION)
    relayed = share(world, alice, distribution=Distribution.FEDERATION)
    arrived_from(world, relayed, remote)
    assert sees(world, peer, ours)
    assert not sees(world, peer, relayed)


def test_open_travels_transitively(world: World) -> None:
    here_peer, far = world.node(), world.node()
    peer = node_principal(world, here_peer)
    remote = world.org(node_id=far.id)
    alice = world.account(world.org())
    ours = share(world, alice, distribution=Distribution.OPEN, tlp=Tlp.GREEN)
    relayed = share(world, alice, distribution=Distribution.OPEN, tlp=Tlp.AMBER)
    arrived_from(world, relayed, remote)
    assert listed(world, peer) == {ours, relayed}


def test_amber_strict_is_not_relayed(world: World) -> None:
    here_peer, far = world.node(), world.node()
    peer = node_principal(world, here_peer)
    remote = world.org(node_id=far.id)
    alice = world.account(world.org())
    ours = share(world, alice, distribution=Distribution.OPEN, tlp=Tlp.AMBER_STRICT)
    relayed = share(world, alice, distribution=Distribution.OPEN, tlp=Tlp.AMBER_STRICT)
    arrived_from(world, relayed, remote)
    assert sees(world, peer, ours)
    assert not sees(world, peer, relayed)


def test_group_reaches_carrier_nodes_only(world: World) -> None:
    carrier, bystander = world.node(), world.node()
    owner = world.org()
    group = world.group(owner, nodes=[carrier])
    alice = world.account(owner)
    shared = share(world, alice, distribution=Distribution.GROUP, group=group.id)
    assert sees(world, node_principal(world, carrier), shared)
    assert not sees(world, node_principal(world, bystander), shared)


# --- TLP 1.0 markings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marking", "level"),
    [
        (TLP1_WHITE, Tlp.CLEAR),
        (TLP1_GREEN, Tlp.GREEN),
        (TLP1_AMBER, Tlp.AMBER),
        (TLP1_RED, Tlp.RED),
    ],
)
def test_tlp1_markings_read_as_tlp2(world: World, marking: str, level: Tlp) -> None:
    alice = world.account(world.org())
    obj = indicator(object_marking_refs=[marking])
    assert world.ingest(alice, obj, distribution=Distribution.NODE).ok
    with world.db.read() as session:
        row = service.get_latest(session, alice.principal, obj["id"])
        page = service.list_objects(session, alice.principal, service.ObjectFilter(tlp=[level]), 10)
    assert Tlp(row.tlp) is level
    assert [r.stix_id for r in page.rows] == [obj["id"]]


def test_tlp1_red_is_kept_from_other_orgs(world: World) -> None:
    alice, bob = world.account(world.org()), world.account(world.org())
    red = indicator(object_marking_refs=[TLP1_RED])
    white = indicator(object_marking_refs=[TLP1_WHITE])
    assert world.ingest(alice, red, white, distribution=Distribution.NODE).ok
    assert listed(world, bob.principal) == {white["id"]}


# --- write rules -------------------------------------------------------------------------


@pytest.mark.parametrize("published", [True, False])
def test_observer_cannot_create(world: World, published: bool) -> None:
    observer = world.account(world.org(), Role.OBSERVER)
    with pytest.raises(IngestForbidden, match="may not create"):
        world.ingest(observer, indicator(), published=published)
    assert listed(world, observer.principal) == set()


def test_contributor_creates_drafts_only(world: World) -> None:
    contributor = world.account(world.org(), Role.CONTRIBUTOR)
    with pytest.raises(IngestForbidden, match="only create drafts"):
        world.ingest(contributor, indicator())
    draft = share(world, contributor, distribution=Distribution.NODE, published=False)
    with world.db.read() as session:
        assert not service.get_latest(session, contributor.principal, draft).published


def _publish(world: World, account: Account, stix_id: str) -> list[str]:
    with world.db.write() as session:
        return service.publish(session, account.principal, stix_id)


def _revoke(world: World, account: Account, stix_id: str) -> None:
    with world.db.write() as session:
        service.revoke(session, account.principal, stix_id)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ORG_ADMIN, Role.ADMIN])
def test_owner_publishers_publish_and_revoke(world: World, role: Role) -> None:
    org = world.org()
    contributor, publisher = world.account(org, Role.CONTRIBUTOR), world.account(org, role)
    bob = world.account(world.org())
    ind = indicator()
    rep = report([ind["id"]])
    assert world.ingest(contributor, ind, rep, distribution=Distribution.NODE, published=False).ok
    assert listed(world, bob.principal) == set()
    assert sorted(_publish(world, publisher, rep["id"])) == sorted([rep["id"], ind["id"]])
    assert listed(world, bob.principal) == {rep["id"], ind["id"]}
    _revoke(world, publisher, ind["id"])
    with world.db.read() as session:
        assert service.get_latest(session, bob.principal, ind["id"]).revoked


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.OBSERVER])
def test_owner_non_publishers_cannot_publish_or_revoke(world: World, role: Role) -> None:
    org = world.org()
    author, member = world.account(org, Role.CONTRIBUTOR), world.account(org, role)
    draft = share(world, author, distribution=Distribution.NODE, published=False)
    with pytest.raises(Forbidden):
        _publish(world, member, draft)
    with pytest.raises(Forbidden):
        _revoke(world, member, draft)
    with world.db.read() as session:
        row = service.get_latest(session, author.principal, draft)
    assert (row.published, row.revoked) == (False, False)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ORG_ADMIN, Role.ADMIN])
def test_other_org_cannot_publish_or_revoke(world: World, role: Role) -> None:
    alice, bob = world.account(world.org()), world.account(world.org(), role)
    shared = share(world, alice, distribution=Distribution.NODE)
    draft = share(world, alice, distribution=Distribution.NODE, published=False)
    with pytest.raises(Forbidden):
        _publish(world, bob, shared)
    with pytest.raises(Forbidden):
        _revoke(world, bob, shared)
    with pytest.raises(NotFound):  # the draft does not exist for bob
        _publish(world, bob, draft)
    with pytest.raises(NotFound):
        _revoke(world, bob, draft)
    assert not sees(world, bob.principal, draft)


@pytest.mark.parametrize("distribution", [Distribution.ORG, Distribution.NODE])
def test_another_org_cannot_add_a_version(world: World, distribution: Distribution) -> None:
    alice, bob = world.account(world.org()), world.account(world.org())
    original = indicator(created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
    assert world.ingest(alice, original, distribution=distribution).ok
    takeover: dict[str, Any] = dict(original, modified="2026-02-01T00:00:00.000Z", name="mine")
    result = world.ingest(bob, takeover, distribution=Distribution.NODE)
    assert result.results[0].status is Status.REFUSED
    # The same words whether or not bob can see the object.
    assert result.results[0].reason == (
        "this id belongs to an object your organization does not own"
    )
    with world.db.read() as session:
        versions = service.get_versions(session, alice.principal, original["id"])
    assert [row.modified[:10] for row in versions] == ["2026-01-01"]
