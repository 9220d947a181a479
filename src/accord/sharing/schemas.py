"""REST shapes of sharing groups."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.api.fields import Text
from accord.sharing.models import SharingGroup


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    description: Text = ""
    members: list[Text] = Field(default_factory=list, description="organization UUIDs or names")


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org: Text = Field(description="organization UUID or name")


class GroupOut(BaseModel):
    id: str
    name: str
    description: str
    owner_org_id: str
    members: list[str]
    nodes: list[str]
    created_at: datetime

    @classmethod
    def of(cls, group: SharingGroup) -> GroupOut:
        return cls(
            id=group.id,
            name=group.name,
            description=group.description,
            owner_org_id=group.owner_org_id,
            members=[o.id for o in group.members],
            nodes=[n.id for n in group.nodes],
            created_at=group.created_at,
        )
