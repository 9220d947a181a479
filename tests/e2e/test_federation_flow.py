"""Three real nodes exchange exactly what the rules and the agreements allow.

A is a member coalition node, B a partner node with an agreement with A, C a third
country's node connected to B only (it knows A's key from B's directory). Every node
is an `accord serve` process with its own database (SQLite, and PostgreSQL when
ACCORD_TEST_DATABASE_URL is set); syncs run as `accord sync run`, as an operator would.
"""

from __future__ import annotations

import copy
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.db import make_engine
from accord.federation.models import Peer
from accord.intel.extension import EXTENSION_ID
from accord.intel.models import StixObject
from accord.sharing.tlp import Tlp
from tests.e2e.federation import BACKENDS, Site, SiteSpec, agree, connect, running_sites
from tests.e2e.nodes import ACCORD, node_env
from tests.factories import indicator, report, stamp

pytestmark = pytest.mark.slow

TAXII = "application/taxii+json;version=2.1"
INTERRUPTED_OBJECTS = 3000
KILL_WAIT_SECONDS = 300.0  # bound on waiting for the first page; never reached when healthy


@pytest.fixture(scope="module", params=BACKENDS)
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, Site, Site]]:
    """A, B and C running; B joined A, C joined B; indicator agreements on every link."""
    specs = [
        SiteSpec("node-a", "Coalition Staff", "CA"),
        SiteSpec("node-b", "Partner Staff", "PB", "partner"),
        SiteSpec("node-c", "Third Country Staff", "TC", "third-country"),
    ]
    with running_sites(request.param, tmp_path_factory.mktemp("fed"), specs) as (a, b, c):
        connect(b, a, "coalition-a", "partner-b")
        connect(c, b, "partner-b", "third-c")
        agree(a, "partner-b", types="indicator")
        agree(b, "coalition-a", types="indicator")
        agree(b, "third-c", types="indicator")
        agree(c, "partner-b", types="indicator")
        yield a, b, c


def sync_all(a: Site, b: Site, c: Site) -> None:
    """B pulls from A and C and pushes to both; C then pulls what B relays."""
    for site in (b, c, b):
        done = site.sync()
        assert done.returncode == 0, f"{site.name}: {done.stderr}"


def test_what_reaches_b_and_c_for_each_distribution_and_tlp(
    cluster: tuple[Site, Site, Site],
) -> None:
    a, b, c = cluster
    group = a.cli(
        "group", "add", f"A-B {uuid.uuid4().hex[:6]}", "--org", a.org_id, "--org", b.org_id
    )
    cases = {
        "org": indicator(tlp=Tlp.GREEN, distribution="org"),
        "node": indicator(tlp=Tlp.GREEN, distribution="node"),
        "federation": indicator(tlp=Tlp.GREEN, distribution="federation"),
        "open": indicator(tlp=Tlp.CLEAR, distribution="open"),
        "open amber": indicator(tlp=Tlp.AMBER, distribution="open"),
        "open amber+strict": indicator(tlp=Tlp.AMBER_STRICT, distribution="open"),
        "open red": indicator(tlp=Tlp.RED, distribution="open"),
        "group with B's organization": indicator(
            tlp=Tlp.GREEN, distribution="group", sharing_group=group
        ),
    }
    a.post_objects(list(cases.values()))
    sync_all(a, b, c)
    on_b, on_c = b.object_ids(), c.object_ids()
    reached = {name: (obj["id"] in on_b, obj["id"] in on_c) for name, obj in cases.items()}
    assert reached == {
        "org": (False, False),
        "node": (False, False),
        "federation": (True, False),
        "open": (True, True),
        "open amber": (True, True),
        "open amber+strict": (True, False),
        "open red": (False, False),
        "group with B's organization": (True, False),
    }
    arrived = b.request("GET", f"/api/v1/objects/{cases['federation']['id']}").json()
    assert _extension(arrived)["distribution"] == "node"  # one hop: it goes no further


def _extension(obj: dict[str, Any]) -> dict[str, Any]:
    stix = obj.get("stix", obj)
    ext: dict[str, Any] = stix["extensions"][EXTENSION_ID]
    return ext


def test_an_expired_or_narrowed_agreement_stops_the_flow_on_both_sides(
    cluster: tuple[Site, Site, Site],
) -> None:
    a, b, c = cluster
    # Sending side: A's agreement for attack patterns has expired; B's is in force.
    expired = agree(a, "partner-b", types="attack-pattern", until="2021-01-01")
    agree(b, "coalition-a", types="attack-pattern")
    first = _attack_pattern(Tlp.GREEN)
    a.post_objects([first])
    sync_all(a, b, c)
    assert first["id"] not in b.object_ids()
    # The same flow with an agreement in force on A's side: now it crosses.
    a.cli("agreement", "end", expired)
    agree(a, "partner-b", types="attack-pattern")
    second = _attack_pattern(Tlp.GREEN)
    a.post_objects([second])
    sync_all(a, b, c)
    assert second["id"] in b.object_ids()

    # Receiving side: A sends reports up to AMBER+STRICT, B takes them up to GREEN only.
    agree(a, "partner-b", types="report")
    agree(b, "coalition-a", types="report", max_tlp="green")
    content = indicator(tlp=Tlp.GREEN, distribution="open")
    amber, green = _report(content, Tlp.AMBER), _report(content, Tlp.GREEN)
    a.post_objects([content, amber, green])
    sync_all(a, b, c)
    on_b = b.object_ids()
    assert green["id"] in on_b
    assert amber["id"] not in on_b
    reasons = {r["object_id"]: r["reason"] for r in b.refusals("coalition-a")}
    assert "TLP:AMBER" in reasons[amber["id"]]
    assert b.peer_status("coalition-a")["sync"]["refused"] >= 1


def _attack_pattern(tlp: Tlp) -> dict[str, Any]:
    now = stamp()
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": f"attack-pattern--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": f"Swarm approach {uuid.uuid4().hex[:6]}",
        "object_marking_refs": [tlp.marking_id],
        "extensions": {
            EXTENSION_ID: {"extension_type": "property-extension", "distribution": "open"}
        },
    }


def _report(content: dict[str, Any], tlp: Tlp) -> dict[str, Any]:
    return report([content["id"]], tlp=tlp, distribution="open")


def test_an_interrupted_sync_resumes_exactly(cluster: tuple[Site, Site, Site]) -> None:
    a, b, _c = cluster
    objects = [
        indicator(tlp=Tlp.GREEN, distribution="federation") for _ in range(INTERRUPTED_OBJECTS)
    ]
    for start in range(0, len(objects), 500):
        a.post_objects(objects[start : start + 500])
    ids = [o["id"] for o in objects]

    engine = make_engine(b.database_url)
    try:
        stored_at_kill = _kill_mid_sync(b, engine, ids)
        assert 0 < stored_at_kill < len(ids), "the sync was not interrupted midway"
        done = b.sync("coalition-a")
        assert done.returncode == 0, done.stderr
        with engine.connect() as conn:
            rows = conn.execute(
                select(StixObject.stix_id, func.count())
                .where(StixObject.stix_id.in_(ids))
                .group_by(StixObject.stix_id)
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == len(ids)  # nothing missing
    assert {count for _id, count in rows} == {1}  # no duplicates


def _stored(engine: Any, ids: list[str]) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(StixObject).where(StixObject.stix_id.in_(ids))
            ).scalar_one()
        )


def _kill_mid_sync(site: Site, engine: Any, ids: list[str]) -> int:
    """Start `accord sync run` on the site and SIGKILL it once its first page is stored."""
    process = subprocess.Popen(
        [*ACCORD, "sync", "run", "--node", "coalition-a"],
        cwd=site.cwd,
        env=node_env(site.database_url, site.env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    try:
        while time.monotonic() < deadline and process.poll() is None:
            stored = _stored(engine, ids)
            if stored:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return _stored(engine, ids)
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return _stored(engine, ids)


def test_a_forged_signature_is_refused_with_its_reason_shown(
    cluster: tuple[Site, Site, Site],
) -> None:
    a, b, c = cluster
    genuine = indicator(tlp=Tlp.GREEN, distribution="open")
    a.post_objects([genuine])
    travelling = _as_sent_to(b, a, genuine["id"])
    forged = copy.deepcopy(travelling)
    forged["name"] = "Altered on the way"
    forged["modified"] = stamp()
    c_key_for_b = _peer_key(c, b.node_id())
    status = _taxii_post(b, c_key_for_b, forged)
    assert status["success_count"] == 0
    assert forged["id"] not in b.object_ids()
    reasons = [r["reason"] for r in b.refusals("third-c") if r["object_id"] == forged["id"]]
    assert reasons
    assert "signature" in reasons[0]
    assert b.peer_status("third-c")["sync"]["refused"] >= 1


def _peer_key(site: Site, peer_id: str) -> str:
    """The key `site` holds for reading and writing at its peer (from its own database)."""
    engine = make_engine(site.database_url)
    try:
        with engine.connect() as conn:
            key = conn.execute(select(Peer.api_key).where(Peer.node_id == peer_id)).scalar_one()
    finally:
        engine.dispose()
    return str(key)


def _collection_url(site: Site, key: str) -> str:
    headers = {"Authorization": f"Bearer {key}", "Accept": TAXII}
    with httpx.Client(base_url=site.url, headers=headers, timeout=60) as http:
        root = http.get("/taxii2/").json()["default"]
        collections = http.get(f"{root}collections/").json()["collections"]
    readable = [col for col in collections if col["can_read"]]
    return f"{root}collections/{readable[0]['id']}/objects/"


def _as_sent_to(reader: Site, origin: Site, stix_id: str) -> dict[str, Any]:
    """The object as `origin` serves it to `reader`'s node: signed by the origin."""
    key = _peer_key(reader, origin.node_id())
    url = _collection_url(origin, key)
    headers = {"Authorization": f"Bearer {key}", "Accept": TAXII}
    r = httpx.get(url, params={"match[id]": stix_id}, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    [obj] = r.json()["objects"]
    assert obj["extensions"][EXTENSION_ID]["signature"]
    return dict(obj)


def _taxii_post(site: Site, key: str, obj: dict[str, Any]) -> dict[str, Any]:
    url = _collection_url(site, key)
    headers = {"Authorization": f"Bearer {key}", "Accept": TAXII, "Content-Type": TAXII}
    r = httpx.post(url, json={"objects": [obj]}, headers=headers, timeout=60)
    assert r.status_code in (200, 202), r.text
    return dict(r.json())
