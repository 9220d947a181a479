"""Sync with peer nodes over TAXII 2.1: pull what is new there, push what is new here.

Pull reads the peer's TAXII server as this node's node principal: discovery, its
default API root, the collection it may read (peers use the `default` collection),
then `objects/?added_after=<cursor>&limit=1000` page by page (within one pull with
the peer's `next` as well, and the next page read while this one is stored): the newest
published version of each object that changed since the cursor (a version superseded before the
sync ran never travels; what the peer stored earlier it keeps). Each page is checked
and stored (`ingress.receive`) and the cursor moves to the page's
`X-TAXII-Date-Added-Last`, in ONE write transaction: a sync killed at any point
resumes after the last page committed, with no duplicates and nothing missing, and a
sync costs what changed since the cursor. The peer only lists what its rules and
agreements let go to this node (`egress.sending_condition`).

Push POSTs to the peer's collection what may go to it (same egress rules) and is newer
than the push cursor (a local `objects.pk`: publishing moves a version to the end, so
it counts as new). The sync worker pushes right after a commit that published objects
(`hooks`); a push that fails is recorded (`last_error`, `push_failures`) and the next
push starts from the same cursor, but not before a backoff that doubles with each
failure in a row (capped at `BACKOFF_MAX`, reset by a success); the peer's own pull
catches up anyway. `accord sync run` pushes regardless of the backoff.

Before each push attempt (backing off or not: it is local work), `review` checks the
sending rules on what changed here since the peer's review cursor and records what
they keep from it, with reasons (egress.py says what is listed and what only counted);
objects the peer refuses when pushed are recorded the same way, with the peer's reason.
The peer's pull is served under the same rules, so the review covers what it reads too.

Each pull first reads the peer's directory (`GET /api/v1/node`) once: the peer's new
organizations and the nodes it knows are learned before their objects arrive. A
directory that cannot be read is recorded in `last_error`; the objects are still pulled.

Adding an agreement resets the cursors it may widen (service.add_agreement): a sending
one the push cursor (what may go now is offered again; the peer answers `exists` for
what it has), a receiving one the pull cursor (the next pull reads everything again).

The sending policy can also widen with no agreement added: an agreement whose first
day was ahead comes into force, a sharing group gains a member organization living on
the peer (its node becomes a carrier). Each push round (`review`, before anything,
backing off or not) takes the policy's fingerprint (`egress.fingerprint`: the sending
agreements in force with their limits, the groups carried by the peer) and compares it
with the one kept in the peer's `send_policy`; if it widened (`egress.widens`), push
and review start over (`service.reset_sending`): everything is checked again, what is
now allowed is sent once (the peer answers `exists` for what it has), what was withheld
is counted again under the policy now. Only narrowing (an agreement ended or expired)
starts nothing over: nothing new may go; the fingerprint is just updated. Unchanged, it
costs one read per round. An unknown fingerprint (a state from before it was kept)
counts as widened: one start over after the upgrade.

The pull side needs nothing of its own. When B pulls from A, A lists by
`sending_condition` at request time, so the widened policy is applied, but B's pull
cursor is past the older objects and does not read them again. They reach B by A's
push instead: peers are linked both ways by the handshake, so A knows B's URL and key
and A's sync worker pushes to B every round (`accord sync run` on A at once). Only if
A cannot reach B at all does B need `accord sync run --full` to read them.

Sharing groups travel with their objects: an object shared with a group carries the
group's definition in its signed extension (egress.py), and a receiver learns the group
from it when the definition names it as a carrier (ingress.py). No separate endpoint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import Database
from accord.db.base import utcnow
from accord.errors import Invalid, NotFound
from accord.federation import egress, handshake, hooks
from accord.federation.ingress import Outcome, receive
from accord.federation.models import Direction, Peer, SyncRefusal, SyncState
from accord.federation.service import refresh_directory, reset_sending
from accord.intel.models import StixObject
from accord.organizations.models import Node

PAGE = 1000
log = logging.getLogger(__name__)
TAXII = "application/taxii+json;version=2.1"
TIMEOUT = 60.0
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
ACTOR = "sync"

ClientFactory = Callable[[], httpx.Client]


class SyncError(Exception):
    """The peer answered something a TAXII 2.1 server does not."""


@dataclass
class SyncReport:
    node: str
    received: int = 0
    existing: int = 0
    refused: int = 0
    sent: int = 0
    # Versions not sent: kept by the sending rules (review), or refused by the peer.
    withheld_reasons: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def withheld(self) -> int:
        return sum(self.withheld_reasons.values())

    def count(self, counts: dict[str, int]) -> None:
        for reason, n in counts.items():
            self.withheld_reasons[reason] = self.withheld_reasons.get(reason, 0) + n

    def line(self) -> str:
        return (
            f"{self.node}\treceived {self.received}\tsent {self.sent}\trefused {self.refused}"
            f"\twithheld {self.withheld}\t{'error: ' + self.error if self.error else 'ok'}"
        )

    def lines(self) -> list[str]:
        """`line`, then one indented line per reason versions were withheld for."""
        reasons = sorted(self.withheld_reasons.items())
        return [self.line()] + [f"\twithheld {n}\t{reason}" for reason, n in reasons]


@dataclass(frozen=True)
class _Link:
    node_id: str
    name: str
    url: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Accept": TAXII}


def _link(session: Session, node_id: str) -> _Link:
    peer = session.get(Peer, node_id)
    node = session.get(Node, node_id)
    if peer is None or node is None:
        raise NotFound(f"node {node_id} is not a peer: no URL and key for it here")
    return _Link(node.id, node.name, peer.url, peer.api_key)


def _state(session: Session, node_id: str) -> SyncState:
    state = session.get(SyncState, node_id)
    if state is None:
        state = SyncState(
            node_id=node_id, received=0, sent=0, refused=0, push_failures=0, withheld=0
        )
        session.add(state)
        session.flush()
    return state


@contextmanager
def _http(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=TIMEOUT) as own:
        yield own


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise SyncError(f"{response.request.url} answered HTTP {response.status_code}")
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise SyncError(f"{response.request.url} answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise SyncError(f"{response.request.url} answered JSON that is not an object")
    return body


def objects_url(http: httpx.Client, link: _Link) -> str:
    """The peer's collection this node may read: discovery -> API root -> collections."""
    discovery = _json(http.get(urljoin(link.url, "taxii2/"), headers=link.headers))
    root = discovery.get("default") or next(iter(discovery.get("api_roots") or []), None)
    if not isinstance(root, str):
        raise SyncError("the peer's TAXII discovery names no API root")
    root = root if root.endswith("/") else root + "/"
    listed = _json(http.get(urljoin(root, "collections/"), headers=link.headers))
    for collection in listed.get("collections") or []:
        if isinstance(collection, dict) and collection.get("can_read"):
            return urljoin(root, f"collections/{collection['id']}/objects/")
    raise SyncError("the peer has no collection this node may read")


def _finish(db: Database, report: SyncReport, node_id: str, *, pushed: bool = False) -> None:
    with db.write() as session:
        state = _state(session, node_id)
        state.last_attempt = utcnow()
        state.last_error = report.error
        if report.error is None:
            state.last_success = state.last_attempt
        if pushed:
            state.push_failures = 0 if report.error is None else state.push_failures + 1
            state.push_retry_at = (
                state.last_attempt + backoff(state.push_failures) if state.push_failures else None
            )


def pull(
    db: Database,
    node_id: str,
    *,
    client: httpx.Client | None = None,
    full: bool = False,
    page_size: int = PAGE,
    future_tolerance: timedelta = timedelta(minutes=5),
) -> SyncReport:
    """Fetch what is new at the peer, page by page, each page committed with the cursor.

    `full` starts again from the beginning (safe: what is stored already `exists`),
    e.g. after the peer widened its sending agreement (adding a receiving one here
    resets the cursor by itself).
    """
    with db.read() as session:
        link = _link(session, node_id)
        state = session.get(SyncState, node_id)
        cursor = None if full or state is None else state.cursor
    report = SyncReport(link.name)
    directory_error = None
    try:
        with _http(client) as http, ThreadPoolExecutor(1, "accord-pull") as fetcher:
            directory_error = _refresh(db, link, http)
            url = objects_url(http, link)
            page = _fetch(http, link, url, cursor, None, page_size)
            while page is not None:
                objects, last, more, token = page
                # The next page is read while this one is checked and stored: the
                # peer's serving and this node's checking overlap. Its cursor is
                # only committed with it, so an interruption loses nothing.
                ahead = (
                    fetcher.submit(_fetch, http, link, url, last, token, page_size)
                    if more
                    else None
                )
                with db.write() as session:
                    result = receive(
                        session,
                        node_id,
                        objects,
                        moment=utcnow(),
                        future_tolerance=future_tolerance,
                    )
                    _state(session, node_id).cursor = last
                report.received += result.count(Outcome.STORED)
                report.existing += result.count(Outcome.EXISTS)
                report.refused += result.count(Outcome.REFUSED)
                page = ahead.result() if ahead is not None else None
    except (httpx.HTTPError, SyncError) as exc:
        report.error = f"pull: {exc}"
    report.error = "; ".join(e for e in (report.error, directory_error) if e) or None
    _finish(db, report, node_id)
    return report


def _fetch(
    http: httpx.Client,
    link: _Link,
    url: str,
    cursor: str | None,
    token: str | None,
    page_size: int,
) -> tuple[list[Any], str, bool, str | None] | None:
    """One page of the peer's objects added after `cursor`: (objects, the page's
    X-TAXII-Date-Added-Last, whether more follow, the peer's `next`), or None when
    there is none. Within one pull the peer's `next` is passed on with the cursor:
    the same page, but the peer finds it by its own keyset without walking to the
    cursor again (each page would cost what precedes it)."""
    params: dict[str, str | int] = {"limit": page_size}
    if cursor:
        params["added_after"] = cursor
    if token:
        params["next"] = token
    response = http.get(url, params=params, headers=link.headers)
    body = _json(response)
    objects = body.get("objects") or []
    last = response.headers.get("X-TAXII-Date-Added-Last")
    if not objects:
        return None
    if not isinstance(objects, list) or not last:
        raise SyncError("the peer's page has no objects list or no date_added range")
    more = bool(body.get("more"))
    token = body.get("next")
    return objects, last, more, token if more and isinstance(token, str) else None


def _refresh(db: Database, link: _Link, http: httpx.Client) -> str | None:
    """Learn the peer's new organizations and nodes; what went wrong, if anything."""
    url = urljoin(link.url, handshake.NODE_PATH)
    try:
        info = handshake.info_from_json(
            _json(http.get(url, headers={"Authorization": f"Bearer {link.api_key}"}))
        )
        with db.write() as session:
            peer = session.get(Node, link.node_id)
            assert peer is not None  # node rows stay, even when the peer is removed
            refresh_directory(session, ACTOR, peer, info)
    except (httpx.HTTPError, SyncError, Invalid) as exc:
        return f"directory: {exc}"
    return None


def _pending(session: Session, node_id: str, after: int) -> list[int]:
    o = StixObject
    condition = egress.sending_condition(session, node_id, utcnow())
    newest = o.is_latest_published.is_(True)  # as pull reads it: a narrowed object stays
    return list(
        session.scalars(
            select(o.pk).where(o.pk > after, newest, condition).order_by(o.pk).limit(PAGE)
        )
    )


def review(db: Database, node_id: str, *, page_size: int = PAGE) -> dict[str, int]:
    """Check the sending rules on what changed here since the review cursor and record
    what they keep from the peer (`egress.review_page`), one page per write
    transaction with the cursor; how many versions they kept, per reason."""
    withheld: dict[str, int] = {}
    widened(db, node_id)
    with db.read() as session:
        state = session.get(SyncState, node_id)
        after = (state.review_cursor if state else None) or 0
        if not egress.changed_since(session, after):
            return withheld
    while True:
        with db.write() as session:
            state = _state(session, node_id)
            moment = utcnow()
            send = egress.policy(session, node_id)
            last, kept = egress.review_page(
                session, send, state.review_cursor or 0, moment, page_size
            )
            if last is None:
                return withheld
            for reason, n in _withhold(session, state, kept, moment).items():
                withheld[reason] = withheld.get(reason, 0) + n
            state.review_cursor = last


def widened(db: Database, node_id: str) -> bool:
    """Compare the sending policy in force now with the one the peer's state last saw
    (`egress.fingerprint`); if it widened, start push and review over
    (`service.reset_sending`). Whether it did. Unchanged (the usual case) costs one
    read; a change is recorded in a write transaction, checked again inside it."""
    with db.read() as session:
        state = session.get(SyncState, node_id)
        now = egress.fingerprint(egress.policy(session, node_id), utcnow())
        if state is not None and state.send_policy == now:
            return False
    with db.write() as session:
        state = _state(session, node_id)
        now = egress.fingerprint(egress.policy(session, node_id), utcnow())
        wider = egress.widens(state.send_policy, now)
        if wider:
            reset_sending(session, state)
        state.send_policy = now
    return wider


def _withhold(
    session: Session, state: SyncState, kept: list[egress.Withheld], moment: datetime
) -> dict[str, int]:
    """Count versions not sent per reason, and list those worth listing; the counts of
    these alone."""
    these: dict[str, int] = {}
    for item in kept:
        these[item.count_as] = these.get(item.count_as, 0) + 1
    counts = dict(state.withheld_reasons or {})
    for reason, n in these.items():
        counts[reason] = counts.get(reason, 0) + n
    session.add_all(
        SyncRefusal(
            node_id=state.node_id,
            at=moment,
            direction=Direction.SEND.value,
            object_id=item.stix_id[:128],
            version=item.modified[:40],
            reason=item.reason,
        )
        for item in kept
        if item.listed
    )
    state.withheld += len(kept)
    state.withheld_reasons = counts
    session.flush()
    return these


def push(
    db: Database,
    node_id: str,
    *,
    client: httpx.Client | None = None,
    ignore_backoff: bool = False,
) -> SyncReport:
    """POST to the peer what may go to it and is new since the push cursor.

    After failures in a row, nothing is tried until the backoff has passed (the report
    says so) unless `ignore_backoff`.
    """
    with db.read() as session:
        link = _link(session, node_id)
    report = SyncReport(link.name)
    report.count(review(db, node_id))
    with db.read() as session:
        state = session.get(SyncState, node_id)
        retry_at = state.push_retry_at if state else None
        if retry_at is not None and retry_at > utcnow() and not ignore_backoff:
            report.error = f"push: backing off after failures until {retry_at.isoformat()}"
            return report
        after = (state.push_cursor if state else None) or 0
        pks = _pending(session, node_id, after)
    try:
        if pks:
            with _http(client) as http:
                url = objects_url(http, link)
                while pks:
                    texts = egress.serve(db, pks)
                    sent, refused = _post(http, link, url, [texts[pk] for pk in pks if pk in texts])
                    report.sent += sent
                    with db.write() as session:
                        state = _state(session, node_id)
                        state.push_cursor = pks[-1]
                        state.sent += sent
                        report.count(_withhold(session, state, refused, utcnow()))
                    with db.read() as session:
                        pks = _pending(session, node_id, pks[-1])
    except (httpx.HTTPError, SyncError) as exc:
        report.error = f"push: {exc}"
    _finish(db, report, node_id, pushed=True)
    return report


def backoff(failures: int) -> timedelta:
    """How long to wait after `failures` failed pushes in a row: doubling, capped."""
    if failures < 1:
        return timedelta(0)
    doubled: timedelta = BACKOFF_FIRST * (1 << min(failures - 1, 16))
    return min(doubled, BACKOFF_MAX)


def _post(
    http: httpx.Client, link: _Link, url: str, texts: list[str]
) -> tuple[int, list[egress.Withheld]]:
    """POST one page of travelling objects; how many the peer stored, and those it
    refused on arrival with its reasons."""
    if not texts:
        return 0, []
    body = b'{"objects":[' + ",".join(texts).encode() + b"]}"
    headers = link.headers | {"Content-Type": TAXII}
    status = _json(http.post(url, content=body, headers=headers))
    successes = status.get("successes") or []
    refused = [
        egress.Withheld(
            0,
            str(f.get("id") or ""),
            str(f.get("version") or ""),
            f"the peer refused it: {f.get('message') or 'no reason given'}",
            listed=True,
            count_as=egress.PEER_REFUSED,
        )
        for f in status.get("failures") or []
        if isinstance(f, dict)
    ]
    stored = sum(1 for s in successes if isinstance(s, dict) and s.get("message") == "stored")
    return stored, refused


def peer_ids(db: Database, node: str | None = None) -> list[str]:
    with db.read() as session:
        if node is not None:
            found = session.scalars(
                select(Peer.node_id)
                .join(Node, Node.id == Peer.node_id)
                .where((Node.id == node) | (Node.name == node))
            ).first()
            if found is None:
                raise NotFound(f"no peer node named {node!r}")
            return [found]
        return list(session.scalars(select(Peer.node_id).join(Node).order_by(Node.name)))


def run(
    db: Database,
    node: str | None = None,
    *,
    client: httpx.Client | None = None,
    full: bool = False,
    future_tolerance: timedelta = timedelta(minutes=5),
    ignore_backoff: bool = False,
) -> list[SyncReport]:
    """Pull from, then push to, every peer (or one): one report per peer."""
    reports = []
    for node_id in peer_ids(db, node):
        pulled = pull(db, node_id, client=client, full=full, future_tolerance=future_tolerance)
        pushed = push(db, node_id, client=client, ignore_backoff=ignore_backoff)
        pulled.sent = pushed.sent
        pulled.withheld_reasons = pushed.withheld_reasons
        pulled.error = "; ".join(e for e in (pulled.error, pushed.error) if e) or None
        reports.append(pulled)
    return reports


class SyncWorker:
    """`accord serve`'s background sync: everything every `interval` seconds, and a
    push as soon as a commit published objects."""

    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="accord-sync", daemon=True)

    def start(self) -> None:
        hooks.subscribe(self._wake.set)
        self._thread.start()

    def stop(self) -> None:
        hooks.unsubscribe(self._wake.set)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=TIMEOUT)

    def _loop(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._round(pull_too=not woken)
            except Exception:  # the worker outlives a failed round; the next one retries
                log.exception("sync round failed")

    def _round(self, *, pull_too: bool) -> None:
        for node_id in peer_ids(self.db):
            if self._stop.is_set():
                return
            if pull_too:
                pull(self.db, node_id)
            push(self.db, node_id)
