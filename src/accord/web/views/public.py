"""The public news page, its Atom feed and the e-mail digest's pages: no sign-in.

Only released `TLP:CLEAR` + `open` content appears (accord.cooperation.coverage checks
the current version at every read). Subscribing answers the same for every address;
confirming and unsubscribing take a token from a mail, shown first on a page with a
button, so that a mail scanner opening the link changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale
from fastapi import Request
from starlette.responses import Response

from accord.cooperation import coverage, digest
from accord.cooperation.coverage_models import TokenPurpose
from accord.cooperation.feed import MEDIA_TYPE, FeedInfo, atom_feed
from accord.errors import Invalid, NotFound
from accord.web import i18n
from accord.web.i18n import N_
from accord.web.i18n import gettext as _
from accord.web.routing import form_of
from accord.web.templating import render
from accord.web.views.common import field, web_router

log = logging.getLogger("accord.web")
router = web_router()
PAGE_SIZE = 20
FEED_SIZE = 50
SUBSCRIBE_LIMIT = 20  # subscribe requests per client address and window
SUBSCRIBE_WINDOW_SECONDS = 3600.0

EVENT_TYPES = {
    "meeting": N_("Meeting"),
    "exercise": N_("Exercise"),
    "conference": N_("Conference"),
    "visit": N_("Visit"),
}


class SubscribeLimit:
    """At most `limit` subscribe requests per client address in a sliding window, so that
    no one mails confirmation requests to many addresses. In memory, per process (the
    per-address interval between mails is in the database)."""

    MAX_CLIENTS = 20_000

    def __init__(
        self, limit: int = SUBSCRIBE_LIMIT, window: float = SUBSCRIBE_WINDOW_SECONDS
    ) -> None:
        self.limit = limit
        self.window = window
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            times = self._seen.pop(client, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            self._seen[client] = times  # most recent last
            while len(self._seen) > self.MAX_CLIENTS:
                self._seen.popitem(last=False)
            return allowed


def subscribe_limit(request: Request) -> SubscribeLimit:
    """The application's limit, made on first use."""
    state = request.app.state
    limit: SubscribeLimit | None = getattr(state, "subscribe_limit", None)
    if limit is None:
        limit = state.subscribe_limit = SubscribeLimit()
    return limit


@contextmanager
def _in_visitor_terms() -> Iterator[None]:
    """The digest's refusals (raised in English, for the REST API) in the visitor's
    language."""
    try:
        yield
    except Invalid as exc:
        raise Invalid(_(exc.detail)) from None


def _base(request: Request) -> str:
    """Where the feed's links point: the configured public URL, else this request's."""
    configured: str | None = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _digest_enabled(request: Request) -> bool:
    """Mails link only to the configured public URL, never to a request's Host header
    (which a visitor chooses): without it, there is no digest."""
    settings = request.app.state.settings
    return bool(settings.smtp_host and settings.smtp_from and settings.public_url)


def country_name(code: str) -> str:
    locale = Locale.parse(i18n.BABEL_LOCALES[i18n.current()])
    return str(locale.territories.get(code, code))


def event_type_name(value: str) -> str:
    return _(EVENT_TYPES[value]) if value in EVENT_TYPES else value


def _render(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> Response:
    page = {"country_name": country_name, "event_type_name": event_type_name}
    return render(request, template, page | context, status)


@router.get("/news")
def news(request: Request, page: str = "1") -> Response:
    number = int(page) if page.isdigit() and len(page) <= 6 else 0
    if number < 1:
        raise NotFound("no such page")
    with request.app.state.db.read() as session:
        found = coverage.public_page(session, number, PAGE_SIZE)
    if number > found.pages:
        raise NotFound("no such page")
    return _render(
        request,
        "public/news.html",
        {"found": found, "digest_enabled": _digest_enabled(request)},
    )


@router.get("/news/feed.atom")
def feed(request: Request) -> Response:
    with request.app.state.db.read() as session:
        items = coverage.public_page(session, 1, FEED_SIZE).items
    base = _base(request)
    info = FeedInfo(
        title=_("Accord news"),
        news_url=f"{base}/news",
        self_url=f"{base}/news/feed.atom",
        author=request.app.state.web.node_name,
        language=i18n.HTML_LANG[i18n.current()],
    )
    body = atom_feed(info, items, f"{base}/news/{{id}}")
    return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8")


@router.post("/news/subscribe")
def subscribe(request: Request) -> Response:
    client = request.client.host if request.client else "unknown"
    if not subscribe_limit(request).allow(client):
        return _render(
            request,
            "public/message.html",
            {
                "title": _("Too many requests"),
                "text": _("Too many subscription requests from your address. Try again later."),
            },
            429,
        )
    if not _digest_enabled(request):
        raise NotFound("the e-mail digest is not configured")
    form = form_of(request)
    links = digest.Links(request.app.state.settings.public_url.rstrip("/"))
    try:
        mailer = digest.Mailer(digest.SmtpSettings.of(request.app.state.settings))
        with _in_visitor_terms(), request.app.state.db.write() as session:
            frequency = digest.parse_frequency(field(form, "frequency"))
            email = field(form, "email")
            digest.subscribe(session, mailer, links, email, frequency, i18n.current())
    except digest.MailUnavailable:  # the node's trouble: logged, not shown
        log.warning("the news digest could not mail a visitor", exc_info=True)
        return _render(
            request,
            "public/message.html",
            {
                "title": _("No mail can be sent now"),
                "text": _("Nothing was changed. Please try again later."),
            },
            503,
        )
    return _render(
        request,
        "public/message.html",
        {
            "title": _("Check your inbox"),
            "text": _(
                "If the address can receive the digest, a mail is on its way to it. Open the "
                "link in that mail to confirm the subscription."
            ),
        },
    )


def _token_page(request: Request, token: str, purpose: TokenPurpose) -> Response:
    with _in_visitor_terms(), request.app.state.db.read() as session:
        digest.check_token(session, token, purpose)
    return _render(request, "public/token.html", {"token": token, "purpose": purpose.value})


@router.get("/news/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    return _token_page(request, token, TokenPurpose.CONFIRM)


@router.post("/news/confirm")
def confirm(request: Request) -> Response:
    with _in_visitor_terms(), request.app.state.db.write() as session:
        digest.confirm(session, field(form_of(request), "token"))
    return _render(
        request,
        "public/message.html",
        {
            "title": _("Subscription confirmed"),
            "text": _(
                "You will receive the news digest at this address. Every digest has a "
                "link to unsubscribe."
            ),
        },
    )


@router.get("/news/unsubscribe")
def unsubscribe_page(request: Request, token: str = "") -> Response:
    return _token_page(request, token, TokenPurpose.UNSUBSCRIBE)


@router.post("/news/unsubscribe")
def unsubscribe(request: Request) -> Response:
    with _in_visitor_terms(), request.app.state.db.write() as session:
        digest.unsubscribe(session, field(form_of(request), "token"))
    return _render(
        request,
        "public/message.html",
        {
            "title": _("Unsubscribed"),
            "text": _("This address will receive no more news digests."),
        },
    )


@router.get("/news/{release_id}")
def item(request: Request, release_id: str) -> Response:
    with request.app.state.db.read() as session:
        found = coverage.public_item(session, release_id)
    return _render(request, "public/item.html", {"item": found})
