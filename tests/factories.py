"""Test data built through the real services (no mocks): organizations, users, groups,
keys and STIX objects."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.db import Database
from accord.identity.models import Role, User
from accord.identity.service import create_api_key, create_user, principal_for_user
from accord.intel.ingest import IngestResult, WriteDefaults, ingest
from accord.organizations.models import Node, Organization, OrgKind
from accord.organizations.service import create_organization, local_node
from accord.sharing.distribution import Distribution
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.service import create_group
from accord.sharing.tlp import Tlp

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def stamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sid(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def indicator(
    value: str | None = None,
    *,
    tlp: Tlp = Tlp.NONE,
    distribution: str | None = None,
    sharing_group: str | None = None,
    labels: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    value = value or f"198.51.100.{next(_counter) % 250}"
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": sid("indicator"),
        "created": now,
        "modified": now,
        "name": f"Suspicious address {value}",
        "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": now,
        "indicator_types": ["malicious-activity"],
    }
    return _decorate(obj, tlp, distribution, sharing_group, labels, extra)


def report(
    refs: list[str],
    *,
    tlp: Tlp = Tlp.NONE,
    distribution: str | None = None,
    sharing_group: str | None = None,
    labels: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    now = stamp(datetime.now(UTC) - timedelta(seconds=1))
    obj: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": sid("report"),
        "created": now,
        "modified": now,
        "name": f"Incident report {next(_counter)}",
        "published": now,
        "report_types": ["threat-report"],
        "object_refs": refs,
    }
    return _decorate(obj, tlp, distribution, sharing_group, labels, extra)


def _decorate(
    obj: dict[str, Any],
    tlp: Tlp,
    distribution: str | None,
    sharing_group: str | None,
    labels: list[str] | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    if tlp is not Tlp.NONE:
        obj["object_marking_refs"] = [tlp.marking_id]
    if distribution is not None:
        ext: dict[str, Any] = {"extension_type": "property-extension", "distribution": distribution}
        if sharing_group:
            ext["sharing_group"] = sharing_group
        obj["extensions"] = {"extension-definition--f170894b-79ff-485c-9c26-1186b443fc36": ext}
    if labels:
        obj["labels"] = labels
    obj.update(extra)
    return obj


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": sid("bundle"), "objects": list(objects)}


@dataclass
class Account:
    user: User
    principal: Principal
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


class World:
    """Builds organizations, users and objects through the services, committed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.read() as session:
            self.local_node_id = local_node(session).id

    def node(self, name: str | None = None) -> Node:
        with self.db.write() as session:
            node = Node(name=name or f"peer-{next(_counter)}", is_local=False)
            session.add(node)
            session.flush()
            return node

    def org(
        self,
        name: str | None = None,
        kind: OrgKind = OrgKind.MEMBER,
        country: str = "AA",
        node_id: str | None = None,
    ) -> Organization:
        with self.db.write() as session:
            return create_organization(
                session, "test", name or f"Org {next(_counter)}", country, kind, node_id
            )

    def account(self, org: Organization, role: Role = Role.ANALYST) -> Account:
        with self.db.write() as session:
            org_obj = session.get(Organization, org.id)
            assert org_obj is not None
            new = create_user(
                session, "test", f"user{next(_counter)}@example.org", org_obj, role, PASSWORD
            )
            key = create_api_key(session, "test", new.user, "tests")
        return Account(new.user, self.principal(new.user), key.secret)

    def principal(self, user: User) -> Principal:
        with self.db.read() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            return principal_for_user(session, fresh, self.local_node_id)

    def refresh(self, account: Account) -> Account:
        """Rebuild the principal after group membership changed."""
        return Account(account.user, self.principal(account.user), account.key)

    def group(
        self,
        owner: Organization,
        *members: Organization,
        nodes: list[Node] | None = None,
        name: str | None = None,
    ) -> SharingGroup:
        with self.db.write() as session:
            owner_obj = session.get(Organization, owner.id)
            member_objs = [session.get(Organization, m.id) for m in members]
            node_objs = [session.get(Node, n.id) for n in nodes or []]
            assert owner_obj is not None
            return create_group(
                session,
                "test",
                name or f"Group {next(_counter)}",
                owner_obj,
                [m for m in member_objs if m is not None],
                [n for n in node_objs if n is not None],
            )

    def ingest(
        self,
        account: Account,
        *objects: dict[str, Any],
        distribution: Distribution = Distribution.ORG,
        sharing_group: str | None = None,
        published: bool = True,
    ) -> IngestResult:
        with self.db.write() as session:
            result = ingest(
                session,
                account.principal,
                list(objects),
                WriteDefaults(distribution, sharing_group, published),
            )
            if not result.ok:
                session.rollback()
            return result
