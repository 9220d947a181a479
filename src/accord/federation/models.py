"""Federation state: this node's key, peers' credentials, agreements, sync progress."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime, new_uuid, utcnow


class Direction(enum.StrEnum):
    SEND = "send"
    RECEIVE = "receive"
    BOTH = "both"


class NodeSecret(Base):
    """The local node's Ed25519 private key (raw, base64url)."""

    __tablename__ = "node_secrets"

    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    private_key: Mapped[str] = mapped_column(Text, nullable=False)


class Peer(Base):
    """How this node reaches a peer: its TAXII base URL and the key it gave us."""

    __tablename__ = "peers"

    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    api_key: Mapped[str] = mapped_column(Text, nullable=False)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Agreement(Base):
    """The legal framework as data: what may cross to or from one peer node, and when."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), nullable=False, index=True)
    max_tlp: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class SyncState(Base):
    """Per peer: the pull cursor and what the last runs did."""

    __tablename__ = "sync_state"

    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    # The peer's X-TAXII-Date-Added-Last of the last page stored: pull resumes after it.
    cursor: Mapped[str | None] = mapped_column(String(40))
    last_attempt: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refused: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The local `objects.pk` up to which push has offered this node what is new.
    push_cursor: Mapped[int | None] = mapped_column(BigInteger)
    # Failed pushes in a row, and when the next push may be tried (sync.backoff).
    push_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    push_retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The local `objects.pk` up to which the sending rules were checked for this node
    # (egress.review), and the versions they kept from it: how many, per reason.
    review_cursor: Mapped[int | None] = mapped_column(BigInteger)
    withheld: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    withheld_reasons: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # The sending policy in force when push last looked (egress.fingerprint): when it
    # widens, push and review start over (sync.review). NULL: not known yet.
    send_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SyncRefusal(Base):
    """An object that did not cross, and why: never silently dropped. `direction` is
    `receive` for what this node refused on arrival, `send` for what it kept from the
    peer (egress.review) or the peer refused when this node pushed it."""

    __tablename__ = "sync_refusals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    object_id: Mapped[str] = mapped_column(String(128), nullable=False)
    version: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False)


class Invitation(Base):
    """A one-time key that lets one peer node introduce itself (the handshake)."""

    __tablename__ = "node_invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    # The name this node will know the invited peer by.
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    # SHA-256 of the whole key: keys are 256-bit random, so a fast hash is safe.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    node_id: Mapped[str | None] = mapped_column(ForeignKey("nodes.id"))


class RelayedNode(Base):
    """A node known only through a peer's directory: which peer vouched for its key."""

    __tablename__ = "relayed_nodes"

    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    via_node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), nullable=False, index=True)
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class ObjectSignature(Base):
    """Accord's extension of one object version as it travels between nodes: the origin
    node's id, the owner organization, the sharing group's definition and the origin's
    signature. Made at first egress for objects that originate here (versions are
    immutable), kept as received for objects relayed from elsewhere."""

    __tablename__ = "object_signatures"

    stix_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    modified: Mapped[str] = mapped_column(String(32), primary_key=True)
    extension: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["stix_id", "modified"],
            ["objects.stix_id", "objects.modified"],
            ondelete="CASCADE",
        ),
    )
