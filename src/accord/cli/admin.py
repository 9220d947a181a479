"""accord org / user / apikey / group: administration from the node's shell."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import database, handle_errors, out, say
from accord.identity.service import create_api_key, create_user, find_user, parse_role
from accord.organizations.service import (
    create_organization,
    find_organization,
    list_organizations,
    parse_kind,
)
from accord.sharing.service import create_group

ACTOR = "cli"

org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys.", no_args_is_help=True)
group_app = typer.Typer(help="Sharing groups.", no_args_is_help=True)


@org_app.command("add")
@handle_errors
def org_add(
    name: str,
    country: Annotated[str, typer.Option(help="ISO 3166 two-letter country code")],
    kind: Annotated[
        str,
        typer.Option(help="member, partner, observer, third-country, international-organization"),
    ] = "member",
) -> None:
    """Add an organization on this node; prints its UUID."""
    with database() as db, db.write() as session:
        org = create_organization(session, ACTOR, name, country, parse_kind(kind))
        org_id = org.id
    out(org_id)


@org_app.command("list")
@handle_errors
def org_list() -> None:
    """List organizations: UUID, country, kind, name."""
    with database() as db, db.read() as session:
        for org in list_organizations(session):
            out(f"{org.id}\t{org.country}\t{org.kind.value}\t{org.name}")


@user_app.command("add")
@handle_errors
def user_add(
    email: str,
    org: Annotated[str, typer.Option(help="organization name or UUID")],
    role: Annotated[str, typer.Option(help="admin, org-admin, analyst, contributor, observer")],
) -> None:
    """Add a user; prints the generated password once."""
    with database() as db, db.write() as session:
        organization = find_organization(session, org)
        new = create_user(session, ACTOR, email, organization, parse_role(role))
        password = new.password
    say(f"user {email.strip().lower()} added to {org} as {role}")
    out(password)


@apikey_app.command("create")
@handle_errors
def apikey_create(
    email: str, name: Annotated[str, typer.Option(help="what the key is for")] = ""
) -> None:
    """Create an API key for a user; prints the key once."""
    with database() as db, db.write() as session:
        user = find_user(session, email)
        new = create_api_key(session, ACTOR, user, name)
        secret, prefix = new.secret, new.key.prefix
    say(f"API key {prefix}… created for {email}; it is shown once")
    out(secret)


@group_app.command("add")
@handle_errors
def group_add(
    name: str,
    org: Annotated[
        list[str], typer.Option(help="member organization (name or UUID); the first owns it")
    ],
    description: str = "",
) -> None:
    """Add a sharing group of organizations; prints its UUID."""
    with database() as db, db.write() as session:
        members = [find_organization(session, o) for o in org]
        group = create_group(session, ACTOR, name, members[0], members, description=description)
        group_id = group.id
    out(group_id)
