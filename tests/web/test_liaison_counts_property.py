"""Property tests of what the liaison pages count and show: on random channels, messages
and acknowledgements, each organization sees exactly the channels it is a member of,
with counts that agree with a plain reading of who sent what to whom; and the thread
order puts every reply under the message it answers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.cooperation import liaison
from accord.cooperation.liaison import Message
from accord.db import Database
from accord.errors import NotFound
from accord.web.views.liaison import MAX_DEPTH, _thread
from tests.factories import Account, World

ORGS = 4


@dataclass(frozen=True)
class Spec:
    channels: list[tuple[int, frozenset[int]]]  # (owner, other members)
    # (channel index, sender, recipients as picked, acknowledging recipients)
    messages: list[tuple[int, int, frozenset[int], frozenset[int]]]


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    channels = draw(
        st.lists(
            st.integers(0, ORGS - 1).flatmap(
                lambda owner: st.tuples(
                    st.just(owner),
                    st.frozensets(
                        st.integers(0, ORGS - 1).filter(lambda o: o != owner),
                        min_size=1,
                    ),
                )
            ),
            min_size=1,
            max_size=3,
        )
    )
    messages = []
    for _ in range(draw(st.integers(0, 4))):
        index = draw(st.integers(0, len(channels) - 1))
        owner, others = channels[index]
        members = sorted({owner, *others})
        sender = draw(st.sampled_from(members))
        candidates = [m for m in members if m != sender]
        recipients = draw(st.frozensets(st.sampled_from(candidates), min_size=1))
        acks = draw(st.frozensets(st.sampled_from(sorted(recipients))))
        messages.append((index, sender, recipients, acks))
    return Spec(channels, messages)


@pytest.fixture
def staff(world: World) -> list[Account]:
    return [world.account(world.org()) for _ in range(ORGS)]


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=8,
    deadline=None,
    database=None,
)
@given(spec=specs())
def test_each_organization_sees_its_channels_with_true_counts(
    db: Database, world: World, staff: list[Account], spec: Spec
) -> None:
    def me(i: int) -> Account:
        return world.refresh(staff[i])

    org = [a.user.org_id for a in staff]
    made: list[str] = []
    for owner, others in spec.channels:
        with db.write() as session:
            channel = liaison.create_channel(
                session, me(owner).principal, "Talks", [org[o] for o in others]
            )
        made.append(channel.id)
    sent: list[tuple[int, int, frozenset[int], frozenset[int]]] = []
    for index, sender, recipients, acks in spec.messages:
        with db.write() as session:
            message = liaison.post_message(
                session,
                me(sender).principal,
                made[index],
                "Hello",
                "",
                [org[r] for r in recipients],
            )
        for r in acks:
            with db.write() as session:
                liaison.acknowledge(session, me(r).principal, message.id)
        sent.append((index, sender, recipients, acks))

    for i in range(ORGS):
        principal = me(i).principal
        members = [
            c for c, (owner, others) in enumerate(spec.channels) if i == owner or i in others
        ]
        with db.read() as session:
            seen = [c.id for c in liaison.list_channels(session, principal) if c.id in made]
            assert sorted(seen) == sorted(made[c] for c in members)
            counts = liaison.channel_counts(
                session, principal, liaison.list_channels(session, principal)
            )
            for c in range(len(made)):
                if c not in members:
                    assert made[c] not in counts
                    with pytest.raises(NotFound):
                        liaison.get_channel(session, principal, made[c])
                    continue
                mine = [s for s in sent if s[0] == c]
                assert counts[made[c]].messages == len(mine)
                assert counts[made[c]].awaiting_us == sum(
                    i in rec and i not in acks for _, _, rec, acks in mine
                )
                assert counts[made[c]].awaiting_them == sum(
                    sender == i and rec != acks for _, sender, rec, acks in mine
                )


def _message(n: int, parent: int | None) -> Message:
    return Message(
        id=f"m{n}",
        channel_id="c",
        sender="o",
        subject="",
        body="",
        recipients=["p"],
        in_reply_to=None if parent is None else f"m{parent}",
        attachments=[],
        created=f"2026-01-01T00:00:{n:02d}.000Z",
    )


@given(st.lists(st.integers(0, 30), max_size=30))
def test_the_thread_puts_every_reply_under_its_parent(picks: list[int]) -> None:
    # Message n answers an earlier message (picks[n] % n), or none when the pick is 0.
    messages = [
        _message(n, None if n == 0 or pick % (n + 1) == n else pick % (n + 1))
        for n, pick in enumerate(picks)
    ]
    posts = _thread(messages)
    assert sorted(p.message.id for p in posts) == sorted(m.id for m in messages)
    place = {p.message.id: k for k, p in enumerate(posts)}
    depth = {p.message.id: p.depth for p in posts}
    for post in posts:
        parent = post.message.in_reply_to
        if parent is None:
            assert post.depth == 0
            assert post.parent is None
        else:
            assert post.parent is not None
            assert post.parent.id == parent
            assert place[parent] < place[post.message.id]
            assert post.depth == min(depth[parent] + 1, MAX_DEPTH)
            # Everything between a parent and its reply descends from that parent.
            for between in posts[place[parent] + 1 : place[post.message.id]]:
                assert between.depth > depth[parent] or depth[parent] == MAX_DEPTH
