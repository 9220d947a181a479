"""accord collection: TAXII collections as named views."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import database, handle_errors, out
from accord.taxii.service import all_collections, create_collection

collection_app = typer.Typer(help="TAXII collections.", no_args_is_help=True)


@collection_app.command("add")
@handle_errors
def collection_add(
    title: str,
    type_: Annotated[list[str] | None, typer.Option("--type", help="STIX type; repeatable")] = None,
    label: Annotated[list[str] | None, typer.Option(help="label; repeatable")] = None,
    group: Annotated[str | None, typer.Option(help="sharing group UUID")] = None,
    read: Annotated[list[str] | None, typer.Option(help="role that may read; repeatable")] = None,
    write: Annotated[list[str] | None, typer.Option(help="role that may write; repeatable")] = None,
    description: str = "",
) -> None:
    """Add a collection; prints its id."""
    with database() as db, db.write() as session:
        collection = create_collection(
            session,
            "cli",
            title,
            description=description,
            types=type_ or [],
            labels=label or [],
            sharing_group_id=group,
            read_roles=read or [],
            write_roles=write or [],
        )
        collection_id = collection.id
    out(collection_id)


@collection_app.command("list")
@handle_errors
def collection_list() -> None:
    """List collections: id, title, readers, writers."""
    with database() as db, db.read() as session:
        for c in all_collections(session):
            out(
                f"{c.id}\t{c.title}\tread={','.join(c.read_roles)}\twrite={','.join(c.write_roles)}"
            )
