"""On random worlds of events (owners, distributions, sharing groups, TLP, drafts, edits),
every principal's list, spread counts and map data hold exactly the events the plain
access rule (`can_see` on the version one reads) lets it see: never one more."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from accord.cooperation import events
from accord.cooperation.content import stix_of
from accord.cooperation.events import EventFields, EventFilter, EventSharing
from accord.cooperation.types import COOPERATION_EVENT
from accord.db import Database
from accord.errors import Invalid
from accord.intel.models import ObjectLabel, StixObject
from accord.sharing.distribution import Distribution
from accord.sharing.principal import Principal, PrincipalKind
from accord.sharing.tlp import Tlp
from tests.factories import World
from tests.sharing.test_rules_property import _reads_as_latest

COUNTRIES = ("BG", "RO", None)


@dataclass(frozen=True)
class Version:
    distribution: Distribution
    tlp: Tlp
    published: bool
    country: str | None
    month: int
    placed: bool  # with coordinates: on the map


@dataclass(frozen=True)
class Spec:
    owner: int
    versions: tuple[Version, ...]


versions = st.builds(
    Version,
    st.sampled_from(list(Distribution)),
    st.sampled_from(list(Tlp)),
    st.booleans(),
    st.sampled_from(COUNTRIES),
    st.integers(1, 4),
    st.booleans(),
)
specs = st.lists(
    st.builds(Spec, st.integers(0, 2), st.lists(versions, min_size=1, max_size=2).map(tuple)),
    max_size=8,
)


@dataclass
class Cast:
    principals: list[Principal]  # the users of organizations 0, 1, 2; then a peer node
    group_id: str  # organizations 0 and 1


@pytest.fixture
def cast(world: World) -> Cast:
    orgs = [world.org(f"Staff {i}") for i in range(3)]
    group = world.group(orgs[0], orgs[1])
    users = [world.account(org).principal for org in orgs]
    peer = world.node("peer-events")
    node = Principal(
        kind=PrincipalKind.NODE,
        id=peer.id,
        label=f"node:{peer.id}",
        local_node_id=world.local_node_id,
        node_id=peer.id,
        group_ids=frozenset(),
    )
    return Cast([*users, node], group.id)


def _write(db: Database, cast: Cast, spec: Spec) -> None:
    writer = cast.principals[spec.owner]
    event_id: str | None = None
    for v in spec.versions:
        group = cast.group_id if v.distribution is Distribution.GROUP else None
        if group is not None and group not in writer.group_ids:
            return  # not a group its owner is in: ingest would refuse it, nothing to see
        fields = EventFields(
            name=f"Event by {spec.owner}",
            event_type="meeting",
            start_time=datetime(2026, v.month, 3, tzinfo=UTC),
            country=v.country,
            latitude=42.5 if v.placed else None,
            longitude=25.0 if v.placed else None,
        )
        sharing = EventSharing(v.distribution, group, v.tlp)
        try:
            with db.write() as session:
                if event_id is None:
                    event_id = events.create_event(session, writer, fields, sharing, v.published).id
                else:
                    events.update_event(session, writer, event_id, fields, sharing, v.published)
        except Invalid:
            return  # a combination the rules refuse (e.g. TLP:RED beyond its owner)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=15,
    deadline=None,
    database=None,
)
@given(world_spec=specs)
def test_spread_and_lists_hold_only_visible_events(
    db: Database, cast: Cast, world_spec: list[Spec]
) -> None:
    with db.write() as session:
        session.execute(delete(ObjectLabel))
        session.execute(delete(StixObject))
    for spec in world_spec:
        _write(db, cast, spec)
    with db.read() as session:
        rows = list(session.scalars(select(StixObject).where(StixObject.type == COOPERATION_EVENT)))
        for p in cast.principals:
            readable = [r for r in rows if r.pk in _reads_as_latest(p, rows)]
            expected = Counter(
                (stix_of(r)["start_time"][:7], stix_of(r).get("country", "")) for r in readable
            )
            listed = events.list_events(session, p)
            assert sorted(e.id for e in listed) == sorted(r.stix_id for r in readable), p
            spread = events.spread(session, p)
            assert spread.counts == dict(expected), p
            assert spread.total == len(readable)
            for country in ("BG", "RO"):
                only = events.spread(session, p, EventFilter(country=country))
                assert only.total == sum(n for (_m, c), n in expected.items() if c == country)
            on_map = sorted(e.id for e in listed if e.has_position)
            assert on_map == sorted(r.stix_id for r in readable if "latitude" in stix_of(r))
