"""The home page's counts and the object page's lookups (accord.web.queries) against a
straightforward formulation, on the random worlds of the access-rule property test.

`counts` must tally exactly the versions each principal reads as objects (never one it
may not see); `versions_of` and `latest_of` must answer what `get_versions` and
`get_latest` answer, one id at a time. The home page reads others' newest objects once
for its "new for you" and "latest" lists: both must still show what they did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from accord.db import Database
from accord.errors import NotFound
from accord.intel import service
from accord.intel.models import StixObject
from accord.intel.service import ObjectFilter
from accord.sharing.distribution import Distribution
from accord.sharing.tlp import Tlp
from accord.web.queries import counts, latest_of, versions_of
from accord.web.views.home import RECENT_LIMIT
from tests.factories import World, report
from tests.sharing.test_rules_property import (
    LOCAL,
    GroupSpec,
    ObjectSpec,
    VersionSpec,
    WorldSpec,
    _build,
    _clear,
    _principals,
    _reads_as_latest,
    worlds,
)
from tests.web.conftest import WebServer
from tests.web.support import Browser
from tests.web.test_visibility import Coalition, _publish

MISSING = "indicator--00000000-0000-4000-8000-999999999999"


@pytest.fixture
def coalition(world: World) -> Coalition:
    return Coalition(world)


@pytest.fixture
def reader(web: WebServer) -> Iterator[Browser]:
    browser = Browser(web.url)
    yield browser
    browser.close()


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=10,
    deadline=None,
    database=None,
)
@given(spec=worlds())
def test_queries_agree_with_a_plain_reading(db: Database, spec: WorldSpec) -> None:
    with db.write() as session:
        _clear(session)
        built = _build(session, spec)
    with db.read() as session:
        rows = list(session.scalars(select(StixObject).order_by(StixObject.pk)))
        ids = [*sorted({r.stix_id for r in rows}), MISSING]
        for p in _principals(session, built):
            read = [r for r in rows if r.pk in _reads_as_latest(p, rows)]
            by_type, by_tlp = counts(session, p, ObjectFilter())
            assert by_type == dict(Counter(r.type for r in read)), p
            assert by_tlp == dict(Counter(r.tlp for r in read)), p

            found = latest_of(session, p, ids)
            for stix_id in ids:
                try:
                    latest = service.get_latest(session, p, stix_id)
                except NotFound:
                    assert stix_id not in found, (p, stix_id)
                    continue
                assert found[stix_id].pk == latest.pk, (p, stix_id)
                expected = [v.pk for v in service.get_versions(session, p, stix_id)]
                assert [v.pk for v in versions_of(session, p, latest)] == expected, (p, stix_id)


def _one_node_object(tlp: Tlp, published: bool) -> ObjectSpec:
    """An object of the first organization, distributed to the whole node."""
    return ObjectSpec(0, (VersionSpec(Distribution.NODE, 0, tlp, published),))


def test_counts_leave_out_what_the_viewer_may_not_see(db: Database) -> None:
    """Another organization's draft and TLP:RED object are not counted for a user of
    this node; their owner counts all three."""
    spec = WorldSpec(
        peers=1,
        org_nodes=(LOCAL, LOCAL),
        groups=(GroupSpec(0, frozenset({0}), frozenset()),),
        objects=(
            _one_node_object(Tlp.GREEN, True),
            _one_node_object(Tlp.GREEN, False),
            _one_node_object(Tlp.RED, True),
        ),
    )
    with db.write() as session:
        _clear(session)
        built = _build(session, spec)
    with db.read() as session:
        users = {p.org_id: p for p in _principals(session, built) if p.is_user}
        owner, other = users[built.org_ids[0]], users[built.org_ids[1]]
        assert counts(session, owner, ObjectFilter()) == (
            {"indicator": 3},
            {int(Tlp.GREEN): 2, int(Tlp.RED): 1},
        )
        assert counts(session, other, ObjectFilter()) == ({"indicator": 1}, {int(Tlp.GREEN): 1})


def test_home_splits_others_newest_into_new_and_latest(
    reader: Browser, world: World, coalition: Coalition
) -> None:
    """More than a page of new reports offers the full list; once everything is marked
    seen, the newest of them are shown as the latest from other organizations."""
    north = [f"identity--{coalition.north.id}"]
    reports = [report(north, tlp=Tlp.GREEN, name=f"Patrol log {i:02d}") for i in range(27)]
    _publish(world, coalition.ann, *reports, distribution=Distribution.NODE)
    reader.sign_in(coalition.bob.user.email)
    home = reader.get("/").text
    assert "See everything in the full list" in home
    assert "Patrol log" in home
    assert "Latest from other organizations" not in home
    assert reader.post("/seen").status_code == 303
    home = reader.get("/").text
    assert "Latest from other organizations" in home
    assert "See everything in the full list" not in home
    assert home.count("Patrol log") == RECENT_LIMIT
