"""REST shapes of organizations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.api.fields import Text
from accord.organizations.models import Organization, OrgKind


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    country: Text = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")
    kind: OrgKind


class OrganizationOut(BaseModel):
    id: str
    name: str
    country: str
    kind: OrgKind
    node_id: str
    local: bool
    identity: str
    created_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrganizationOut:
        return cls(
            id=org.id,
            name=org.name,
            country=org.country,
            kind=org.kind,
            node_id=org.node_id,
            local=org.is_local,
            identity=org.identity_id,
            created_at=org.created_at,
        )
