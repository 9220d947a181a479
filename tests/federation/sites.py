"""Several Accord nodes in one test process: a database and a live server each.

Each node's application is served by uvicorn on a loopback port (in a thread), so
handshakes and directory reads go through the real routes, auth and error handling.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from accord.app import create_app
from accord.db import Database, make_engine
from accord.db.migrate import upgrade
from accord.federation.service import ensure_node_key
from accord.federation.signing import NodeKey
from accord.identity.models import Role
from accord.organizations.models import Organization, OrgKind
from accord.organizations.service import create_organization, ensure_local_node
from accord.settings import Settings
from tests.conftest import empty_database
from tests.e2e.nodes import create_postgres_database, drop_postgres_database
from tests.factories import Account, World
from tests.server import serve_in_thread

PG_URL = os.environ.get("ACCORD_TEST_DATABASE_URL")


@dataclass
class Site:
    """One node: its database, application, a local organization and its admin."""

    name: str
    url: str
    db: Database
    app: FastAPI
    org: Organization
    admin: Account
    key: NodeKey

    @property
    def node_id(self) -> str:
        return self.admin.principal.local_node_id

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


class SiteDatabases:
    """One migrated database per node name, on the backend of the test run."""

    def __init__(self, backend_url: str, tmp: Path) -> None:
        self.backend_url = backend_url
        self.tmp = tmp
        self.databases: dict[str, Database] = {}
        self.servers: dict[str, tuple[FastAPI, str]] = {}
        self.stack = ExitStack()

    def database(self, name: str) -> Database:
        if name not in self.databases:
            if self.backend_url.startswith("sqlite"):
                url = f"sqlite:///{self.tmp / name}.db"
            else:
                assert PG_URL is not None
                url = create_postgres_database(PG_URL, f"accord_site_{name}")
            db = Database(make_engine(url))
            upgrade(db.engine)
            self.databases[name] = db
        return self.databases[name]

    def site(self, name: str) -> Site:
        """A fresh node called `name`: emptied database, new key, one member organization."""
        db = self.database(name)
        empty_database(db)
        with db.write() as session:
            node = ensure_local_node(session, name)
            key = ensure_node_key(session, node)
            org = create_organization(session, "test", f"{name} staff", "AA", OrgKind.MEMBER)
        admin = World(db).account(org, Role.ADMIN)
        if name not in self.servers:
            app = create_app(Settings(database_url="unused://"), db)
            self.servers[name] = app, self.stack.enter_context(serve_in_thread(app))
        app, url = self.servers[name]
        return Site(name, url, db, app, org, admin, key)

    def close(self) -> None:
        self.stack.close()
        for db in self.databases.values():
            url = db.engine.url.render_as_string(hide_password=False)
            db.dispose()
            if PG_URL is not None and not url.startswith("sqlite"):
                drop_postgres_database(PG_URL, url)


def site_databases(backend_url: str, tmp: Path) -> Iterator[SiteDatabases]:
    sites = SiteDatabases(backend_url, tmp)
    try:
        yield sites
    finally:
        sites.close()
