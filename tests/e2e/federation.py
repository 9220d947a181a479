"""Real federated nodes for end-to-end tests: each its own database, organization, admin.

A `Site` is set up through the CLI exactly as an operator would (`accord init`,
`accord org add`, `accord user add`, `accord apikey create`), then served by
`accord serve` (tests/e2e/nodes.py). `connect` joins two running sites with the
documented commands: `accord node show`, `accord node invite`, `accord node add`.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.nodes import (
    Node,
    NodeSpec,
    accord_out,
    create_postgres_database,
    drop_postgres_database,
    run_accord,
    running_nodes,
)

PG_ADMIN_URL = os.environ.get("ACCORD_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])
# Tests run `accord sync run` themselves; the periodic sync must not race them.
NO_PERIODIC_SYNC = {"ACCORD_SYNC_INTERVAL": "0"}


@dataclass
class SiteSpec:
    name: str
    org: str
    country: str
    kind: str = "member"


@dataclass
class Site:
    """One node: its database, its organization, an admin and an analyst key."""

    spec: SiteSpec
    database_url: str
    cwd: Path
    org_id: str
    admin_key: str
    analyst_key: str
    env: dict[str, str] = field(default_factory=dict)
    node: Node | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def url(self) -> str:
        assert self.node is not None, f"{self.name} is not running"
        return self.node.url

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_accord(self.database_url, *args, cwd=self.cwd, env=self.env)

    def cli(self, *args: str) -> str:
        """`accord ARGS` on this node, which must succeed; its standard output."""
        return accord_out(self.database_url, *args, cwd=self.cwd, env=self.env)

    def fingerprint(self) -> str:
        shown = dict(line.split("\t", 1) for line in self.cli("node", "show").splitlines())
        return shown["fingerprint"]

    def node_id(self) -> str:
        shown = dict(line.split("\t", 1) for line in self.cli("node", "show").splitlines())
        return shown["id"]

    def request(
        self, method: str, path: str, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        with httpx.Client(base_url=self.url, timeout=60) as http:
            return http.request(method, path, headers=headers, **kwargs)

    def post_objects(self, objects: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Publish objects as this node's analyst; every one must be stored."""
        bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
        r = self.request("POST", "/api/v1/objects", self.analyst_key, json=bundle)
        assert r.status_code in (200, 201), r.text
        body: dict[str, Any] = r.json()
        return body

    def object_ids(self) -> set[str]:
        """Every object id the node admin sees here."""
        ids: set[str] = set()
        url: str | None = "/api/v1/objects?limit=1000"
        while url:
            r = self.request("GET", url)
            assert r.status_code == 200, r.text
            page = r.json()
            ids.update(o["id"] for o in page["objects"])
            url = f"/api/v1/objects?limit=1000&next={page['next']}" if page["more"] else None
        return ids

    def peer_status(self, peer_name: str) -> dict[str, Any]:
        r = self.request("GET", "/api/v1/nodes")
        assert r.status_code == 200, r.text
        [status] = [p for p in r.json() if p["name"] == peer_name]
        return dict(status)

    def refusals(self, peer_name: str) -> list[dict[str, Any]]:
        r = self.request("GET", f"/api/v1/nodes/{peer_name}/refusals?limit=1000")
        assert r.status_code == 200, r.text
        return list(r.json()["refusals"])

    def sync(self, peer: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("sync", "run", *(["--node", peer] if peer else []))


@contextmanager
def database_url(backend: str, tmp: Path, name: str) -> Iterator[str]:
    """An empty database of its own on the backend: a SQLite file or a new PostgreSQL one."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / name}.db"
        return
    assert PG_ADMIN_URL is not None
    url = create_postgres_database(PG_ADMIN_URL, "accord_fed")
    try:
        yield url
    finally:
        drop_postgres_database(PG_ADMIN_URL, url)


def prepare(spec: SiteSpec, url: str, cwd: Path, env: Mapping[str, str]) -> Site:
    """`accord init`, the node's organization, an admin and an analyst: all by the CLI."""
    cwd.mkdir(parents=True, exist_ok=True)
    site_env = {"ACCORD_NODE_NAME": spec.name, **env}

    def cli(*args: str) -> str:
        return accord_out(url, *args, cwd=cwd, env=site_env)

    cli("init")
    org = cli("org", "add", spec.org, "--country", spec.country, "--kind", spec.kind)
    domain = f"{spec.name}.example"
    cli("user", "add", f"admin@{domain}", "--org", org, "--role", "admin")
    cli("user", "add", f"analyst@{domain}", "--org", org, "--role", "analyst")
    return Site(
        spec,
        url,
        cwd,
        org,
        cli("apikey", "create", f"admin@{domain}"),
        cli("apikey", "create", f"analyst@{domain}"),
        site_env,
    )


@contextmanager
def running_sites(
    backend: str, tmp: Path, specs: Sequence[SiteSpec], env: Mapping[str, str] | None = None
) -> Iterator[list[Site]]:
    """Prepared and served sites, one database each; all stopped and dropped at the end."""
    env = {**NO_PERIODIC_SYNC, **(env or {})}
    with ExitStack() as stack:
        sites = []
        for spec in specs:
            url = stack.enter_context(database_url(backend, tmp, spec.name))
            sites.append(prepare(spec, url, tmp / spec.name, env))
        node_specs = [NodeSpec(s.database_url, s.name, s.env) for s in sites]
        nodes = stack.enter_context(running_nodes(node_specs, tmp / "logs"))
        for site, node in zip(sites, nodes, strict=True):
            site.node = node
        yield sites


def connect(joiner: Site, host: Site, joiner_calls_host: str, host_calls_joiner: str) -> None:
    """The documented handshake: invite on the host, `accord node add` on the joiner."""
    key = host.cli("node", "invite", host_calls_joiner)
    joiner.cli(
        "node",
        "add",
        joiner_calls_host,
        "--url",
        host.url,
        "--api-key",
        key,
        "--fingerprint",
        host.fingerprint(),
        "--public-url",
        joiner.url,
    )


def agree(
    site: Site,
    peer: str,
    *,
    max_tlp: str = "amber+strict",
    until: str = "2099-12-31",
    types: str = "indicator,report",
    direction: str = "both",
) -> str:
    """`accord agreement add` on one side; returns the agreement's id."""
    return site.cli(
        "agreement",
        "add",
        "--node",
        peer,
        "--max-tlp",
        max_tlp,
        "--types",
        types,
        "--direction",
        direction,
        "--from",
        "2020-01-01",
        "--until",
        until,
    )
