"""Property: `can_see` and `visible_to` agree on random worlds (DESIGN.md section 1).

Each hypothesis example writes a world of nodes, organizations, users of every role,
sharing groups and object versions straight into the database, then checks every
principal against every row: the Python rule, the SQL rule and an independent reading
of DESIGN.md section 2 must agree, and `latest_for` must pick the version each
principal reads as "the object".
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.db import Database
from accord.identity.models import ApiKey, Role, User
from accord.identity.service import principal_for_user
from accord.intel.models import ObjectLabel, StixObject
from accord.organizations.models import Node, Organization, OrgKind
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup, sharing_group_nodes, sharing_group_orgs
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.rules import can_see, latest_for, visible_to
from accord.sharing.tlp import Tlp

LOCAL = 0  # node index of this node; peers are 1..n
BASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class VersionSpec:
    distribution: Distribution
    group: int  # index into the world's groups, read only with distribution group
    tlp: Tlp
    published: bool


@dataclass(frozen=True)
class ObjectSpec:
    owner: int  # index into the world's organizations
    versions: tuple[VersionSpec, ...]  # oldest first


@dataclass(frozen=True)
class GroupSpec:
    owner: int
    members: frozenset[int]  # organization indices, the owner among them
    carriers: frozenset[int]  # node indices


@dataclass(frozen=True)
class WorldSpec:
    peers: int
    org_nodes: tuple[int, ...]  # the node of each organization; local ones first
    groups: tuple[GroupSpec, ...]
    objects: tuple[ObjectSpec, ...]

    @property
    def local_orgs(self) -> list[int]:
        return [i for i, node in enumerate(self.org_nodes) if node == LOCAL]


@st.composite
def worlds(draw: st.DrawFn) -> WorldSpec:
    peers = draw(st.integers(1, 3))
    local_orgs = draw(st.integers(1, 3))
    remote_orgs = draw(st.lists(st.integers(1, peers), min_size=1, max_size=3))
    org_nodes = (LOCAL,) * local_orgs + tuple(remote_orgs)
    org_index = st.integers(0, len(org_nodes) - 1)
    node_index = st.integers(0, peers)
    raw_groups = draw(
        st.lists(
            st.tuples(org_index, st.frozensets(org_index), st.frozensets(node_index)),
            min_size=1,
            max_size=3,
        )
    )
    groups = tuple(GroupSpec(o, members | {o}, carriers) for o, members, carriers in raw_groups)
    version = st.builds(
        VersionSpec,
        distribution=st.sampled_from(list(Distribution)),
        group=st.integers(0, len(groups) - 1),
        tlp=st.sampled_from(list(Tlp)),
        published=st.booleans(),
    )
    random_objects = draw(
        st.lists(
            st.builds(
                ObjectSpec, owner=org_index, versions=st.lists(version, min_size=1, max_size=3)
            ),
            max_size=20,
        )
    )
    # A full grid, every example: distribution x TLP x published/draft, owned by one
    # local and one remote organization.
    local_owner = draw(st.integers(0, local_orgs - 1))
    remote_owner = draw(st.integers(local_orgs, len(org_nodes) - 1))
    grid_group = draw(st.integers(0, len(groups) - 1))
    grid = [
        ObjectSpec(owner, (VersionSpec(dist, grid_group, tlp, published),))
        for owner in (local_owner, remote_owner)
        for dist in Distribution
        for tlp in Tlp
        for published in (True, False)
    ]
    objects = tuple(ObjectSpec(o.owner, tuple(o.versions)) for o in random_objects) + tuple(grid)
    return WorldSpec(peers, org_nodes, groups, objects)


@dataclass
class Built:
    """The ids the database gave the world's parts, by spec index."""

    local_node_id: str
    node_ids: list[str]
    org_ids: list[str]
    group_ids: list[str]


def _clear(session: Session) -> None:
    """Hypothesis runs many examples in one test: empty what the previous one wrote."""
    session.execute(delete(ObjectLabel))
    session.execute(delete(StixObject))
    session.execute(delete(sharing_group_nodes))
    session.execute(delete(sharing_group_orgs))
    session.execute(delete(SharingGroup))
    session.execute(delete(ApiKey))
    session.execute(delete(User))
    session.execute(delete(Organization))
    session.execute(delete(Node).where(Node.is_local.is_(False)))


def _build(session: Session, spec: WorldSpec) -> Built:
    local = session.scalars(select(Node).where(Node.is_local.is_(True))).one()
    nodes = [local] + [Node(name=f"peer-{i}", is_local=False) for i in range(1, spec.peers + 1)]
    session.add_all(nodes[1:])
    session.flush()  # the peers' ids
    orgs = [
        Organization(name=f"Org {i}", country="AA", kind=OrgKind.MEMBER, node_id=nodes[n].id)
        for i, n in enumerate(spec.org_nodes)
    ]
    session.add_all(orgs)
    session.flush()
    for i in spec.local_orgs:
        session.add_all(
            User(
                email=f"{role.value}-{i}@example.org",
                org_id=orgs[i].id,
                role=role,
                password_hash="not-a-real-hash",
            )
            for role in Role
        )
    groups = [
        SharingGroup(
            name=f"Group {i}",
            owner_org_id=orgs[g.owner].id,
            members=[orgs[m] for m in sorted(g.members)],
            nodes=[nodes[n] for n in sorted(g.carriers)],
        )
        for i, g in enumerate(spec.groups)
    ]
    session.add_all(groups)
    session.flush()
    rows: list[StixObject] = []
    for index, obj in enumerate(spec.objects):
        stix_id = f"indicator--00000000-0000-4000-8000-{index:012d}"
        owner = orgs[obj.owner]
        published = [i for i, v in enumerate(obj.versions) if v.published]
        for number, v in enumerate(obj.versions):
            pk = len(rows) + 1
            modified = (BASE + timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            group = groups[v.group].id if v.distribution is Distribution.GROUP else None
            rows.append(
                StixObject(
                    pk=pk,
                    stix_id=stix_id,
                    type="indicator",
                    spec_version="2.1",
                    created=BASE.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    modified=modified,
                    date_added=BASE + timedelta(microseconds=pk),
                    owner_org_id=owner.id,
                    origin_node_id=owner.node_id,
                    distribution=v.distribution.value,
                    sharing_group_id=group,
                    tlp=int(v.tlp),
                    published=v.published,
                    revoked=False,
                    is_latest=number == len(obj.versions) - 1,
                    is_latest_published=bool(published) and number == published[-1],
                    stix=json.dumps({"id": stix_id, "modified": modified}),
                )
            )
    session.add_all(rows)
    session.flush()
    return Built(local.id, [n.id for n in nodes], [o.id for o in orgs], [g.id for g in groups])


def _principals(session: Session, built: Built) -> list[Principal]:
    users = session.scalars(select(User).order_by(User.email))
    principals = [principal_for_user(session, user, built.local_node_id) for user in users]
    for node_id in built.node_ids[1:]:
        carried = session.scalars(
            select(sharing_group_nodes.c.group_id).where(sharing_group_nodes.c.node_id == node_id)
        )
        principals.append(
            Principal(
                kind=PrincipalKind.NODE,
                id=node_id,
                label=f"node:{node_id}",
                local_node_id=built.local_node_id,
                node_id=node_id,
                group_ids=frozenset(carried),
            )
        )
    principals.append(
        Principal(kind=PrincipalKind.SYSTEM, id="system", label="system", local_node_id="x")
    )
    return principals


def _design_says(spec: WorldSpec, built: Built, p: Principal, row: StixObject) -> bool:
    """DESIGN.md section 2 read afresh, with memberships taken from the world spec."""
    tlp = Tlp(row.tlp)
    dist = Distribution(row.distribution)
    group = built.group_ids.index(row.sharing_group_id) if row.sharing_group_id else None
    if p.kind is PrincipalKind.USER:
        if row.owner_org_id == p.org_id:
            return True
        if not row.published:
            return False
        if dist is Distribution.GROUP:
            assert group is not None
            return built.org_ids.index(p.org_id) in spec.groups[group].members
        return tlp is not Tlp.RED and dist is not Distribution.ORG
    if p.kind is PrincipalKind.NODE:
        if not row.published or tlp is Tlp.RED or dist in (Distribution.ORG, Distribution.NODE):
            return False
        originated_here = row.origin_node_id == built.local_node_id
        if tlp is Tlp.AMBER_STRICT and not originated_here:
            return False
        if dist is Distribution.FEDERATION:
            return originated_here
        if dist is Distribution.GROUP:
            assert group is not None
            return built.node_ids.index(p.id) in spec.groups[group].carriers
        return True
    return False


def _reads_as_latest(p: Principal, rows: list[StixObject]) -> set[int]:
    """Per object: the owner's newest version, or the newest published one, if visible."""
    versions: dict[str, list[StixObject]] = defaultdict(list)
    for row in rows:
        versions[row.stix_id].append(row)
    out: set[int] = set()
    for found in versions.values():
        owner_reads = p.is_user and found[0].owner_org_id == p.org_id
        candidates = [v for v in found if owner_reads or v.published]
        if candidates:
            newest = max(candidates, key=lambda v: v.modified)
            if can_see(p, newest):
                out.add(newest.pk)
    return out


def _describe(rows: list[StixObject], pks: set[int]) -> list[str]:
    return [
        f"pk={r.pk} owner={r.owner_org_id} origin={r.origin_node_id} dist={r.distribution} "
        f"group={r.sharing_group_id} tlp={Tlp(r.tlp).label} published={r.published}"
        for r in rows
        if r.pk in pks
    ]


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=50,
    deadline=None,
    database=None,
)
@given(spec=worlds())
def test_python_and_sql_rules_agree(db: Database, spec: WorldSpec) -> None:
    with db.write() as session:
        _clear(session)
        built = _build(session, spec)
    with db.read() as session:
        rows = list(session.scalars(select(StixObject).order_by(StixObject.pk)))
        principals = _principals(session, built)
        assert len(principals) == 5 * len(spec.local_orgs) + spec.peers + 1
        for p in principals:
            in_sql = set(session.scalars(select(StixObject.pk).where(visible_to(p))))
            in_python = {r.pk for r in rows if can_see(p, r)}
            by_design = {r.pk for r in rows if _design_says(spec, built, p, r)}
            assert in_python == in_sql, (p, _describe(rows, in_python ^ in_sql))
            assert in_python == by_design, (p, _describe(rows, in_python ^ by_design))
            latest = set(session.scalars(select(StixObject.pk).where(visible_to(p), latest_for(p))))
            expected = _reads_as_latest(p, rows)
            assert latest == expected, (p, _describe(rows, latest ^ expected))
