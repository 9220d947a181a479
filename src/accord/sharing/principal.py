"""Who is asking: a user of a local organization, or a peer node."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from accord.identity.models import Role


class PrincipalKind(enum.StrEnum):
    USER = "user"
    NODE = "node"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    """Everything the access rule needs, resolved once per request.

    `group_ids` are the sharing groups the principal's organization belongs to (for a
    user) or that name the peer node as a carrier (for a node principal).
    """

    kind: PrincipalKind
    id: str
    label: str
    local_node_id: str
    org_id: str | None = None
    role: Role | None = None
    node_id: str | None = None
    group_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_user(self) -> bool:
        return self.kind is PrincipalKind.USER

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        return f"{self.kind.value}:{self.label}"
