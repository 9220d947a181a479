"""The `accord` command (Typer): one module per domain, gathered here."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer

from accord.audit.service import verify
from accord.cli.admin import apikey_app, group_app, org_app, user_app
from accord.cli.common import database, fail, handle_errors, out, principal_of, say, settings
from accord.cli.digest import digest_app
from accord.cli.federation import (
    agreement_app,
    export_federation_bundle,
    import_federation_bundle,
    node_app,
    sync_app,
)
from accord.cli.liaison import liaison_app
from accord.cli.taxii import collection_app
from accord.db.migrate import upgrade
from accord.errors import Invalid
from accord.federation.bundles import is_federation_bundle
from accord.federation.service import ensure_node_key
from accord.intel.export import write_bundle
from accord.intel.ingest import (
    BundleError,
    IngestForbidden,
    Status,
    WriteDefaults,
    ingest,
    objects_of,
    paused_gc,
)
from accord.intel.misp import event_to_stix, misp_events
from accord.intel.service import ObjectFilter
from accord.organizations.service import ensure_local_node
from accord.sharing.distribution import Distribution
from accord.taxii.service import ensure_default_collection

app = typer.Typer(
    name="accord",
    help="Accord: federated information exchange over STIX 2.1 / TAXII 2.1.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(group_app, name="group")
app.add_typer(collection_app, name="collection")
app.add_typer(node_app, name="node")
app.add_typer(agreement_app, name="agreement")
app.add_typer(sync_app, name="sync")
app.add_typer(digest_app, name="digest")
app.add_typer(liaison_app, name="liaison")
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

Host = Annotated[str, typer.Option(help="address to bind; keep 127.0.0.1 behind a proxy")]
Port = Annotated[int, typer.Option(min=1, max=65535)]


def initialize() -> None:
    s = settings()
    with database() as db:
        upgrade(db.engine)
        with db.write() as session:
            node = ensure_local_node(session, s.node_name)
            ensure_node_key(session, node)
            ensure_default_collection(session)


@app.command()
@handle_errors
def init() -> None:
    """Create or migrate the database to the newest schema (safe to repeat)."""
    initialize()
    say(f"database ready: {settings().database_url}")


def _serve(host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415  (only the serving commands need it)

    from accord.app import create_app  # noqa: PLC0415

    uvicorn.run(create_app(settings()), host=host, port=port, log_level="info")


@app.command()
@handle_errors
def serve(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Serve the web UI, REST API and TAXII on HOST:PORT."""
    _serve(host, port)


@app.command()
@handle_errors
def demo(
    serve: Annotated[
        bool, typer.Option("--serve", help="serve the demo after building it")
    ] = False,
    host: Host = "127.0.0.1",
    port: Port = 8000,
) -> None:
    """Initialize a fictional demo coalition and print its logins."""
    from accord.demo import build  # noqa: PLC0415

    initialize()
    with database() as db:
        info = build(db)
    say(info.describe(f"http://{host}:{port}"))
    if serve:
        from accord.demo.cooperation import WORKGROUP  # noqa: PLC0415

        # The demo coalition's working group chairs unless ACCORD_WORKGROUP_ORG names one.
        if not os.environ.get("ACCORD_WORKGROUP_ORG"):
            os.environ["ACCORD_WORKGROUP_ORG"] = WORKGROUP
        _serve(host, port)


@app.command("import")
@handle_errors
def import_(
    file: Annotated[
        Path,
        typer.Argument(help="a STIX 2.1 bundle or a MISP event (JSON); '-' for standard input"),
    ],
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="e-mail of the user who imports (not for a federation bundle)"),
    ] = None,
    distribution: Annotated[
        Distribution, typer.Option(help="for objects without Accord's extension")
    ] = Distribution.ORG,
    sharing_group: Annotated[str | None, typer.Option(help="with --distribution group")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="import as drafts")] = False,
) -> None:
    """Import a STIX 2.1 bundle, or MISP events, through the one ingest path (all or nothing).

    MISP events keep their own distribution (0-5) and TLP tags; --sharing-group then names
    the group of events whose sharing group has no UUID in the file.
    """
    data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    try:
        with paused_gc():
            payload = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise fail(f"{file} is not valid JSON: {exc}") from None
    if is_federation_bundle(payload):  # from a peer node, offline: checked as sync checks
        import_federation_bundle(payload)
        return
    if as_user is None:
        raise Invalid("--as is required: the e-mail of the user who imports")
    events = misp_events(payload)
    if events:
        objects = [
            obj for event in events for obj in event_to_stix(event, sharing_group=sharing_group)
        ]
    else:
        try:
            objects = objects_of(payload)
        except BundleError as exc:
            raise fail(f"{file}: {exc}") from None
        if (distribution is Distribution.GROUP) != (sharing_group is not None):
            raise Invalid("--sharing-group goes with --distribution group, and only with it")
    defaults = WriteDefaults(distribution, sharing_group, published=not draft)
    s = settings()
    with database() as db:
        principal = principal_of(db, as_user)
        with db.write() as session:
            try:
                result = ingest(
                    session,
                    principal,
                    objects,
                    defaults,
                    future_tolerance=timedelta(seconds=s.future_tolerance_seconds),
                )
            except IngestForbidden as exc:
                raise fail(str(exc)) from None
            if not result.ok:
                session.rollback()
    if not result.ok:
        refused = [r for r in result.results if r.status is Status.REFUSED]
        for r in refused[:20]:
            say(f"  object {r.index} ({r.id or 'no id'}): {r.reason}")
        raise fail(f"{len(refused)} of {len(result.results)} objects refused; nothing was imported")
    say(
        f"imported {result.count(Status.CREATED)} new, "
        f"{result.count(Status.EXISTS)} already present"
    )


@app.command()
@handle_errors
def export(
    as_user: Annotated[
        str | None, typer.Option("--as", help="e-mail of the user whose view to export")
    ] = None,
    for_node: Annotated[
        str | None,
        typer.Option(
            "--for-node", help="a signed bundle of what the agreements let go to this peer"
        ),
    ] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="STIX type; repeatable")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="file to write (default stdout)")
    ] = None,
) -> None:
    """Write a STIX 2.1 bundle of what the user may see (latest versions), or with
    --for-node the signed bundle for a peer node with no link to this one."""
    if for_node is not None:
        if as_user is not None or type_:
            raise Invalid("--for-node exports what the agreements allow: no --as or --type")
        export_federation_bundle(for_node, out_file)
        return
    if as_user is None:
        raise Invalid("--as is required (or --for-node)")
    with database() as db:
        principal = principal_of(db, as_user)
        with db.read() as session:
            if out_file is None:
                count = write_bundle(
                    session, principal, ObjectFilter(types=type_ or []), sys.stdout.buffer
                )
                sys.stdout.buffer.flush()  # a closed pipe shows here, not at interpreter exit
            else:
                tmp = out_file.with_name(out_file.name + ".partial")
                try:
                    with tmp.open("wb") as fh:
                        count = write_bundle(
                            session, principal, ObjectFilter(types=type_ or []), fh
                        )
                    tmp.replace(out_file)
                finally:
                    tmp.unlink(missing_ok=True)  # no half-written file left behind
    say(f"exported {count} objects")


@audit_app.command("verify")
@handle_errors
def audit_verify() -> None:
    """Check the audit chain; exit 1 at the first altered or missing entry."""
    with database() as db, db.read() as session:
        result = verify(session)
    if not result.ok:
        raise fail(f"audit log broken at entry {result.first_bad_seq}: {result.reason}")
    out(f"audit log intact: {result.checked} entries")


def main() -> None:
    """Run the command; usage errors get one `error:` line, like every other failure."""
    try:
        result = app(standalone_mode=False)
    except typer.TyperException as exc:  # Typer's usage errors (missing option, bad value)
        message = exc.format_message()
        if message:  # empty when a bare group printed its help
            typer.echo(f"error: {message} (see --help)", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
