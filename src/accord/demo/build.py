"""Build the demo coalition once; later calls only report the logins."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from accord.db import Database
from accord.identity.models import Role, User
from accord.identity.service import create_api_key, create_user
from accord.organizations.models import OrgKind
from accord.organizations.service import create_organization

DEMO_PASSWORD = "accord-demo-2026"  # noqa: S105  (fictional demo data, printed on purpose)


@dataclass
class DemoInfo:
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # email, role, org, key

    def describe(self, url: str) -> str:
        lines = [f"Accord demo at {url}", f"Every demo user's password: {DEMO_PASSWORD}"]
        lines += [
            f"  {email:<36} {role:<12} {org}  key {key}" for email, role, org, key in self.logins
        ]
        return "\n".join(lines)


def build(db: Database) -> DemoInfo:
    with db.write() as session:
        if session.scalars(select(User.id).where(User.email == "admin@demo.invalid")).first():
            return DemoInfo()
        org = create_organization(session, "demo", "Demo Defence Staff", "AA", OrgKind.MEMBER)
        user = create_user(
            session, "demo", "admin@demo.invalid", org, Role.ADMIN, DEMO_PASSWORD
        ).user
        key = create_api_key(session, "demo", user, "demo").secret
        return DemoInfo([(user.email, user.role.value, org.name, key)])
