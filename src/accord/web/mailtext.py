"""The wording of the news digest's mails and refusals, in the subscriber's language.

Kept with the web interface's other texts so that the catalogs (and their test) see it;
accord.cooperation.digest builds and sends the messages. The refusals are raised in
English (the REST API's language) and translated where a page shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from accord.cooperation.coverage import PublicItem
from accord.web import i18n
from accord.web.i18n import N_
from accord.web.i18n import gettext as _

INVALID_EMAIL = N_("Enter a valid e-mail address.")
INVALID_FREQUENCY = N_("Choose daily or weekly.")
BAD_CONFIRM = N_("This confirmation link is not valid or has been used already.")
BAD_UNSUBSCRIBE = N_("This unsubscribe link is not valid or has been used already.")


@contextmanager
def _language(language: str) -> Iterator[None]:
    token = i18n.activate(language)
    try:
        yield
    finally:
        i18n.deactivate(token)


def confirmation(language: str, confirm_url: str) -> tuple[str, str]:
    """Subject and body of the double opt-in mail."""
    with _language(language):
        body = [
            _("Someone, probably you, asked for the Accord news digest at this address."),
            _("To confirm the subscription, open this link:"),
            confirm_url,
            _("If you did not ask for it, ignore this mail: nothing will be sent."),
        ]
        return _("Confirm your subscription to the news digest"), "\n\n".join(body)


def notice(language: str, unsubscribe_url: str) -> tuple[str, str]:
    """Subject and body of the mail to an address that is subscribed already."""
    with _language(language):
        body = [
            _("This address already receives the Accord news digest."),
            _("To stop receiving it, open this link:"),
            unsubscribe_url,
        ]
        return _("You already receive the news digest"), "\n\n".join(body)


def digest(
    language: str,
    items: list[PublicItem],
    item_url: Callable[[str], str],
    unsubscribe_url: str,
) -> tuple[str, str]:
    """Subject and body of a digest: each item with its organization, date and link."""
    with _language(language):
        parts = [_("New on the Accord news page:")]
        for item in items:
            lines = [item.title, f"{item.organization} · {i18n.day(item.released_at)}"]
            if item.description:
                lines.append(item.description)
            lines.append(item_url(item.release_id))
            parts.append("\n".join(lines))
        parts += [_("To stop receiving this digest, open this link:"), unsubscribe_url]
        subject = i18n.ngettext(
            "Accord news: %(num)d new item", "Accord news: %(num)d new items", len(items)
        ) % {"num": len(items)}
        return subject, "\n\n".join(parts)
