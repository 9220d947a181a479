"""accord node / agreement: this node's identity and the agreements with peers."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from accord.cli.common import database, fail, handle_errors, out, say, settings
from accord.errors import Invalid
from accord.federation import handshake
from accord.federation.bundles import export_for_node, import_bundle
from accord.federation.ingress import Outcome
from accord.federation.service import (
    PeerStatus,
    add_agreement,
    agreements_of,
    end_agreement,
    find_node,
    local_key,
    parse_direction,
    peer_statuses,
    remove_peer,
)
from accord.federation.sync import run
from accord.sharing.tlp import Tlp

ACTOR = "cli"
node_app = typer.Typer(help="This node and its peers.", no_args_is_help=True)
agreement_app = typer.Typer(help="Sharing agreements with peer nodes.", no_args_is_help=True)
sync_app = typer.Typer(help="Sync with peer nodes over TAXII 2.1.", no_args_is_help=True)


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
    """List peer nodes and their sync status, one line each: id, name, URL, last
    success, counts sent, received, refused on arrival and withheld (not sent: kept by
    the sending rules or refused by the peer), failed pushes in a row, the next push
    the background sync will try, and the last error or `ok`; then one indented line
    per reason versions were withheld for."""
    with database() as db, db.read() as session:
        for status in peer_statuses(session):
            for line in status_lines(status):
                out(line)


def _when(moment: datetime | None, default: str) -> str:
    return moment.isoformat(timespec="seconds") if moment else default


def status_lines(status: PeerStatus) -> list[str]:
    st = status.sync
    node = status.node
    if st is None:
        return [f"{node.id}\t{node.name}\t{status.peer.url}\tnever synced"]
    reasons = sorted((st.withheld_reasons or {}).items())
    line = "\t".join(
        [
            node.id,
            node.name,
            status.peer.url,
            f"last success {_when(st.last_success, 'never')}",
            f"sent {st.sent}",
            f"received {st.received}",
            f"refused {st.refused}",
            f"withheld {st.withheld}",
            f"push failures {st.push_failures}",
            f"next push {_when(st.push_retry_at, 'any time')}",
            f"error: {st.last_error}" if st.last_error else "ok",
        ]
    )
    return [line] + [f"\twithheld {n}\t{reason}" for reason, n in reasons]


@node_app.command("invite")
@handle_errors
def node_invite(
    name: Annotated[str, typer.Argument(help="the name this node will know the peer by")],
    days: Annotated[int, typer.Option(min=1, max=90, help="days the invitation is valid")] = (
        handshake.INVITATION_DAYS
    ),
) -> None:
    """Invite a peer node: prints a one-time invitation key for its operator.

    Give the peer's operator, out of band, this node's URL, the key, and this node's
    fingerprint (`accord node show`); they run `accord node add` with them.
    """
    with database() as db, db.write() as session:
        key = handshake.create_invitation(session, ACTOR, name, days)
    out(key)
    say(f"invitation for {name} valid {days} days; it works once")


@node_app.command("add")
@handle_errors
def node_add(
    name: Annotated[str, typer.Argument(help="the name this node will know the peer by")],
    url: Annotated[str, typer.Option(help="the peer's URL")],
    api_key: Annotated[str, typer.Option(help="the invitation key the peer's operator gave")],
    fingerprint: Annotated[str, typer.Option(help="the peer's fingerprint (`accord node show`)")],
    public_url: Annotated[
        str | None, typer.Option(help="this node's URL for the peer [ACCORD_PUBLIC_URL]")
    ] = None,
) -> None:
    """Connect to a peer node: check its key, exchange node keys; prints its id."""
    own_url = public_url or settings().public_url
    if not own_url:
        raise Invalid("the peer needs this node's URL: pass --public-url or set ACCORD_PUBLIC_URL")
    with (
        database() as db,
        httpx.Client(timeout=handshake.TIMEOUT_SECONDS, follow_redirects=False) as http,
    ):
        node = handshake.connect(db, ACTOR, name, url, api_key, fingerprint, own_url, http)
    out(node.id)
    say(f"{name} added: agree what may cross with `accord agreement add --node {name} ...`")


@node_app.command("refresh")
@handle_errors
def node_refresh(
    name: Annotated[str, typer.Argument(help="the peer's name (or id) here")],
) -> None:
    """Read a peer's directory again: its new organizations and the nodes it knows."""
    with database() as db, httpx.Client(timeout=handshake.TIMEOUT_SECONDS) as http:
        learned = handshake.refresh(db, ACTOR, name, http)
    for node in learned:
        out(f"{node.id}\t{node.name}")
    say(f"{name}: {len(learned)} node(s) learned")


@node_app.command("remove")
@handle_errors
def node_remove(
    name: Annotated[str, typer.Argument(help="the peer's name (or id) here")],
) -> None:
    """Stop federating with a peer: end its agreements, revoke its node keys, forget its
    URL and sync state. Its organizations and the objects received from it stay; the
    peer can be invited or added again (e.g. after a handshake that failed halfway)."""
    with database() as db, db.write() as session:
        remove_peer(session, ACTOR, find_node(session, name))
    say(f"{name} removed: nothing crosses to or from it any more")


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
    """Add an agreement with a peer node; prints its id.

    Older objects the agreement now lets cross travel at the next sync: a sending
    agreement restarts the push to the peer, a receiving one the pull from it (the peer
    resends on its side only when it adds or widens its own agreement, or on
    `accord sync run --full` here).
    """
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


@sync_app.command("run")
@handle_errors
def sync_run(
    node: Annotated[str | None, typer.Option(help="only this peer (name or id)")] = None,
    full: Annotated[
        bool, typer.Option("--full", help="pull everything again, not only what is new")
    ] = False,
) -> None:
    """Pull from and push to every peer (or one); prints per peer what happened:
    received, sent, refused on arrival, withheld (not sent: kept by the sending rules
    or refused by the peer), `ok` or the error; then one indented line per reason
    versions were withheld for in this run.

    Pushes even to a peer the background sync is backing off from. Exits 1 when a
    peer could not be reached or answered wrongly.
    """
    tolerance = timedelta(seconds=settings().future_tolerance_seconds)
    failed = False
    with database() as db:
        for report in run(db, node, full=full, future_tolerance=tolerance, ignore_backoff=True):
            for line in report.lines():
                out(line)
            failed = failed or report.error is not None
    if failed:
        raise fail("sync failed for at least one peer (see above)")


def export_federation_bundle(node: str, out_file: Path | None) -> None:
    """`accord export --for-node`: the signed bundle, written whole or not at all."""
    with database() as db:
        if out_file is None:
            count = export_for_node(db, node, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            tmp = out_file.with_name(out_file.name + ".partial")
            try:
                with tmp.open("wb") as fh:
                    count = export_for_node(db, node, fh)
                tmp.replace(out_file)
            finally:
                tmp.unlink(missing_ok=True)
    say(f"exported {count} objects, signed by this node")


def import_federation_bundle(payload: dict[str, Any]) -> None:
    """`accord import` of a peer's signed bundle: verified whole, then checked per object."""
    tolerance = timedelta(seconds=settings().future_tolerance_seconds)
    with database() as db:
        sender, result = import_bundle(db, payload, future_tolerance=tolerance)
    for item in result.refused[:20]:
        say(f"  refused {item.id or 'object ' + str(item.index)}: {item.reason}")
    say(
        f"from {sender}: imported {result.count(Outcome.STORED)} new, "
        f"{result.count(Outcome.EXISTS)} already present, {len(result.refused)} refused"
    )
