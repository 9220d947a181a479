"""accord digest: the e-mail digest of the public news page."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import database, fail, handle_errors, say, settings
from accord.cooperation.coverage_models import Frequency
from accord.cooperation.digest import Links, Mailer, SmtpSettings, send_digests
from accord.errors import Invalid

digest_app = typer.Typer(help="The e-mail digest of the public news page.", no_args_is_help=True)


@digest_app.command("send")
@handle_errors
def digest_send(
    frequency: Annotated[
        Frequency | None,
        typer.Option(help="only subscribers of this frequency (default: every subscriber)"),
    ] = None,
) -> None:
    """Mail each confirmed subscriber what was released since their last digest.

    Run it daily with --frequency daily and weekly with --frequency weekly. A subscriber
    with nothing new gets no mail; one whose mail the server refuses gets it next time.
    """
    s = settings()
    if not s.public_url:
        raise Invalid("set ACCORD_PUBLIC_URL: the digest links to the news page")
    mailer = Mailer(SmtpSettings.of(s))
    with database() as db:
        run = send_digests(db, mailer, Links(s.public_url.rstrip("/")), frequency)
    say(f"digests sent: {run.sent}; nothing new: {run.nothing_new}; failed: {run.failed}")
    if run.failed:
        raise fail(f"{run.failed} digests were not accepted by the mail server; run again later")
