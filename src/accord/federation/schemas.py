"""REST shapes of the node directory, the handshake, peers and agreements."""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.api.fields import Text
from accord.federation.models import Agreement, Direction, SyncRefusal
from accord.federation.service import PeerInfo, PeerStatus, RemoteOrg
from accord.federation.signing import fingerprint_of
from accord.sharing.tlp import Tlp


class OrganizationEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    country: str
    kind: str

    @classmethod
    def of(cls, org: RemoteOrg) -> OrganizationEntry:
        return cls(id=org.id, name=org.name, country=org.country, kind=org.kind)


class KnownNodeOut(BaseModel):
    """Another node this node knows: its key verifies objects it signed."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    public_key: str = Field(description="Ed25519, raw, base64url")
    fingerprint: str
    organizations: list[OrganizationEntry]

    @classmethod
    def of(cls, info: PeerInfo) -> KnownNodeOut:
        return cls(
            id=info.id,
            name=info.name,
            public_key=info.public_key,
            fingerprint=fingerprint_of(info.public_key),
            organizations=[OrganizationEntry.of(o) for o in info.organizations],
        )


class NodeOut(KnownNodeOut):
    """This node's directory entry (GET /api/v1/node)."""

    nodes: list[KnownNodeOut]

    @classmethod
    def of(cls, info: PeerInfo) -> NodeOut:
        return cls(
            **KnownNodeOut.of(info).model_dump(), nodes=[KnownNodeOut.of(n) for n in info.nodes]
        )


class HandshakeIn(BaseModel):
    """A node introducing itself with an invitation key; signed with its node key."""

    model_config = ConfigDict(extra="forbid")

    to: Text = Field(description="the id of the node addressed")
    node: NodeOut
    url: Text = Field(max_length=2000, description="where the introducing node is reached")
    api_key: Text = Field(max_length=200, description="the key it issued for the node addressed")
    signature: Text = Field(max_length=200, description="Ed25519 over RFC 8785 JSON without it")


class HandshakeOut(BaseModel):
    """The answer: this node's entry and the key it issued, signed with its node key."""

    to: str
    node: NodeOut
    api_key: str
    signature: str


class WithheldOut(BaseModel):
    """Versions this node did not send to the peer, and why (the sending side)."""

    total: int = Field(description="versions not sent: kept by the rules or refused by the peer")
    by_reason: dict[str, int] = Field(
        description="how many per reason; versions shared `org` or `node` (which never "
        "leave by design) and those withheld because no agreement to send is in force are "
        "only counted here, every other one is also listed at /nodes/{node}/refusals"
        "?side=sending"
    )


class PushOut(BaseModel):
    """The push to the peer and its backoff after failures in a row."""

    failures: int = Field(description="failed pushes in a row (0 after a success)")
    next_attempt: datetime | None = Field(
        description="the background sync does not push before this (None: at once)"
    )


class SyncOut(BaseModel):
    last_attempt: datetime | None
    last_success: datetime | None
    sent: int
    received: int
    refused: int = Field(description="objects from the peer refused on arrival (receiving side)")
    last_error: str | None
    withheld: WithheldOut
    push: PushOut


class PeerOut(BaseModel):
    id: str
    name: str
    url: str
    fingerprint: str
    added_at: datetime
    organizations: list[OrganizationEntry]
    sync: SyncOut

    @classmethod
    def of(cls, status: PeerStatus) -> PeerOut:
        st = status.sync
        return cls(
            id=status.node.id,
            name=status.node.name,
            url=status.peer.url,
            fingerprint=fingerprint_of(status.node.public_key or ""),
            added_at=status.peer.added_at,
            organizations=[OrganizationEntry.of(o) for o in status.organizations],
            sync=SyncOut(
                last_attempt=st.last_attempt if st else None,
                last_success=st.last_success if st else None,
                sent=st.sent if st else 0,
                received=st.received if st else 0,
                refused=st.refused if st else 0,
                last_error=st.last_error if st else None,
                withheld=WithheldOut(
                    total=st.withheld if st else 0,
                    by_reason=dict(sorted(((st.withheld_reasons if st else None) or {}).items())),
                ),
                push=PushOut(
                    failures=st.push_failures if st else 0,
                    next_attempt=st.push_retry_at if st else None,
                ),
            ),
        )


class Side(enum.StrEnum):
    """Which side refused: this node sending to the peer, or receiving from it."""

    SENDING = "sending"
    RECEIVING = "receiving"

    @property
    def direction(self) -> Direction:
        return Direction.SEND if self is Side.SENDING else Direction.RECEIVE


class RefusalOut(BaseModel):
    id: str
    at: datetime
    side: Side
    direction: str = Field(description="send or receive (the same as side)")
    object_id: str
    version: str
    reason: str

    @classmethod
    def of(cls, refusal: SyncRefusal) -> RefusalOut:
        sending = refusal.direction == Direction.SEND.value
        return cls(
            id=refusal.id,
            at=refusal.at,
            side=Side.SENDING if sending else Side.RECEIVING,
            direction=refusal.direction,
            object_id=refusal.object_id,
            version=refusal.version,
            reason=refusal.reason,
        )


class RefusalPage(BaseModel):
    refusals: list[RefusalOut]
    more: bool
    next: str | None = Field(description="pass as ?next= for the following (older) page")


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node: Text = Field(min_length=1, max_length=200, description="peer node name or id")
    max_tlp: Text = Field(description="clear, green, amber or amber+strict")
    types: list[Text] = Field(min_length=1, max_length=100)
    labels: list[Text] = Field(default_factory=list, max_length=100)
    direction: Direction
    valid_from: date
    valid_until: date


class AgreementOut(BaseModel):
    id: str
    node_id: str
    max_tlp: str
    types: list[str]
    labels: list[str]
    direction: str
    valid_from: date
    valid_until: date
    ended_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, agreement: Agreement) -> AgreementOut:
        return cls(
            id=agreement.id,
            node_id=agreement.node_id,
            max_tlp=Tlp(agreement.max_tlp).label,
            types=agreement.types,
            labels=agreement.labels,
            direction=agreement.direction,
            valid_from=agreement.valid_from,
            valid_until=agreement.valid_until,
            ended_at=agreement.ended_at,
            created_at=agreement.created_at,
        )
