"""accord node / agreement: this node's identity and the agreements with peers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from accord.cli.common import database, handle_errors, out, say
from accord.errors import Invalid
from accord.federation.service import (
    add_agreement,
    agreements_of,
    end_agreement,
    find_node,
    local_key,
    parse_direction,
    peers,
)
from accord.sharing.tlp import Tlp

ACTOR = "cli"
node_app = typer.Typer(help="This node and its peers.", no_args_is_help=True)
agreement_app = typer.Typer(help="Sharing agreements with peer nodes.", no_args_is_help=True)


@node_app.command("show")
@handle_errors
def node_show() -> None:
    """Print this node's id, name and public key fingerprint."""
    with database() as db, db.read() as session:
        node, key = local_key(session)
        out(f"id\t{node.id}\nname\t{node.name}\nfingerprint\t{key.fingerprint()}")


@node_app.command("list")
@handle_errors
def node_list() -> None:
    """List peer nodes: id, name, URL."""
    with database() as db, db.read() as session:
        for node in peers(session):
            out(f"{node.id}\t{node.name}\t{node.url or ''}")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{option} must be a date like 2026-12-31, not {text!r}") from None


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@agreement_app.command("add")
@handle_errors
def agreement_add(
    node: Annotated[str, typer.Option(help="peer node name or id")],
    max_tlp: Annotated[str, typer.Option(help="highest TLP: clear, green, amber, amber+strict")],
    types: Annotated[str, typer.Option(help="object types, comma-separated")],
    direction: Annotated[str, typer.Option(help="send, receive or both")],
    from_: Annotated[str, typer.Option("--from", help="first day in force (YYYY-MM-DD)")],
    until: Annotated[str, typer.Option(help="last day in force (YYYY-MM-DD)")],
    labels: Annotated[str, typer.Option(help="topics (labels), comma-separated")] = "",
) -> None:
    """Add an agreement with a peer node; prints its id."""
    try:
        level = Tlp.parse(max_tlp)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    with database() as db, db.write() as session:
        agreement = add_agreement(
            session,
            ACTOR,
            find_node(session, node),
            max_tlp=level,
            types=_csv(types),
            labels=_csv(labels),
            direction=parse_direction(direction),
            valid_from=_date(from_, "--from"),
            valid_until=_date(until, "--until"),
        )
        agreement_id = agreement.id
    out(agreement_id)


@agreement_app.command("list")
@handle_errors
def agreement_list(node: Annotated[str | None, typer.Option(help="only this peer")] = None) -> None:
    """List agreements: id, peer, direction, max TLP, types, labels, dates, state."""
    with database() as db, db.read() as session:
        node_id = find_node(session, node).id if node else None
        for a in agreements_of(session, node_id):
            state = "ended" if a.ended_at else "active"
            out(
                "\t".join(
                    [
                        a.id,
                        a.node_id,
                        a.direction,
                        Tlp(a.max_tlp).label,
                        ",".join(a.types),
                        ",".join(a.labels),
                        a.valid_from.isoformat(),
                        a.valid_until.isoformat(),
                        state,
                    ]
                )
            )


@agreement_app.command("end")
@handle_errors
def agreement_end(agreement_id: str) -> None:
    """End an agreement now: nothing more crosses under it."""
    with database() as db, db.write() as session:
        end_agreement(session, ACTOR, agreement_id)
    say(f"agreement {agreement_id} ended")
