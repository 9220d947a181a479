"""accord liaison: reminders of liaison messages not yet acknowledged."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import database, handle_errors, out, principal_of, say
from accord.cooperation import liaison

liaison_app = typer.Typer(help="Liaison between staffs.", no_args_is_help=True)


@liaison_app.command("reminders")
@handle_errors
def reminders(
    as_user: Annotated[
        str, typer.Option("--as", help="the e-mail of the user whose view is listed")
    ],
    older_than: Annotated[
        str, typer.Option(help="ISO 8601 duration since sending, e.g. PT24H, P2D, P1W")
    ] = "PT24H",
    channel: Annotated[str | None, typer.Option(help="only this channel (its STIX id)")] = None,
) -> None:
    """List the messages the user sees that some recipient has not acknowledged.

    One line per message and missing organization, tab-separated: sent, channel name,
    message id, subject, the organization that has not acknowledged.
    """
    age = liaison.parse_duration(older_than)
    with database() as db:
        principal = principal_of(db, as_user)
        with db.read() as session:
            overdue = liaison.unacknowledged(session, principal, age, channel)
            channels = {c.id: c.name for c in liaison.list_channels(session, principal)}
            missing = {org for m in overdue for org in m.unacknowledged}
            names = liaison.organization_names(session, missing)
    for message in overdue:
        subject = message.subject or message.body[:80]
        channel_name = channels.get(message.channel_id, message.channel_id)
        for org in message.unacknowledged:
            fields = (message.created, channel_name, message.id, subject, names.get(org, org))
            out("\t".join(" ".join(f.split()) for f in fields))  # one line, tab-separated
    say(f"unacknowledged after {older_than}: {len(overdue)} message(s)")
