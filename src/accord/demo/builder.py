"""Build the demo coalition through the real services, in one transaction.

Organizations, users, sharing groups and API keys come from their services; every
STIX object goes through the one ingest path as a user of its owner organization,
and publication and revocation through the intel service. A second build finds the
coalition and only issues one fresh API key per demo login (keys are stored hashed,
so earlier ones cannot be shown again; they stay valid).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.db import Database
from accord.demo import coalition, cooperation
from accord.demo.describe import DEMO_PASSWORD, DemoInfo, Login
from accord.demo.plan import make_plan
from accord.demo.steps import Publish, Revoke, Write
from accord.errors import AccordError
from accord.identity.models import User
from accord.identity.service import create_api_key, create_user, principal_for_user
from accord.intel.ingest import Status, WriteDefaults, ingest
from accord.intel.models import StixObject
from accord.intel.service import publish, revoke
from accord.organizations.models import Organization
from accord.organizations.service import create_organization, local_node
from accord.sharing.models import SharingGroup
from accord.sharing.principal import Principal
from accord.sharing.service import create_group

DEFAULT_SEED = 2026
ACTOR = "system:accord-demo"


class DemoError(AccordError):
    """The demo plan does not fit the services (a bug in the demo content)."""

    code = "demo"


def build(db: Database, *, seed: int = DEFAULT_SEED) -> DemoInfo:
    """Create the coalition unless it exists; either way, return logins with fresh keys."""
    with db.write() as session:
        marker = coalition.USERS[0].email
        created = session.scalars(select(User.id).where(User.email == marker)).first() is None
        if created:
            _create(session, seed)
        return _report(session, created)


def _create(session: Session, seed: int) -> None:
    orgs = {
        spec.key: create_organization(session, ACTOR, spec.name, spec.country, spec.kind)
        for spec in coalition.ORGS
    }
    users = {
        spec.email: create_user(
            session, ACTOR, spec.email, orgs[spec.org], spec.role, DEMO_PASSWORD
        ).user
        for spec in coalition.USERS
    }
    groups = {
        spec.key: create_group(
            session,
            ACTOR,
            spec.name,
            orgs[spec.owner],
            [orgs[m] for m in spec.members],
            description=spec.description,
        ).id
        for spec in coalition.GROUPS
    }
    node_id = local_node(session).id
    principals: dict[str, Principal] = {}

    def principal(email: str) -> Principal:
        if email not in principals:
            principals[email] = principal_for_user(session, users[email], node_id)
        return principals[email]

    for step in make_plan(seed, lambda key: orgs[key].identity_id):
        if isinstance(step, Write):
            group = groups[step.sharing.group] if step.sharing.group else None
            defaults = WriteDefaults(step.sharing.distribution, group, step.published)
            result = ingest(session, principal(step.author), step.objects, defaults)
            refused = [r for r in result.results if r.status is Status.REFUSED]
            if refused:
                raise DemoError(f"demo object {refused[0].id} refused: {refused[0].reason}")
        elif isinstance(step, Publish):
            publish(session, principal(step.author), step.stix_id)
        elif isinstance(step, Revoke):
            revoke(session, principal(step.author), step.stix_id, now=step.at)
    # Fresh principals: the cooperation modules make sharing groups as they go.
    cooperation.build(
        session, orgs, lambda email: principal_for_user(session, users[email], node_id), seed, ACTOR
    )


def _report(session: Session, created: bool) -> DemoInfo:
    """One fresh API key per active demo login, and what the coalition holds."""
    specs = {spec.name: spec for spec in coalition.ORGS}
    orgs = list(session.scalars(select(Organization).where(Organization.name.in_(specs))))
    emails = [spec.email for spec in coalition.USERS]
    found = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    active = [found[e] for e in emails if e in found and found[e].is_active]  # USERS order
    logins = [
        Login(u.email, u.role.value, u.org.name, create_api_key(session, ACTOR, u, "demo").secret)
        for u in active
    ]
    group_count = session.scalar(
        select(func.count())
        .select_from(SharingGroup)
        .where(SharingGroup.name.in_([g.name for g in coalition.GROUPS]))
    )
    versions = session.scalar(
        select(func.count())
        .select_from(StixObject)
        .where(StixObject.owner_org_id.in_([o.id for o in orgs]))
    )
    return DemoInfo(
        logins=logins,
        created=created,
        org_notes={o.name: f"{o.kind.value}, {o.country}" for o in orgs},
        groups=group_count or 0,
        versions=versions or 0,
    )
