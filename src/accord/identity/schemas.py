"""REST shapes of users, API keys and the caller."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.api.fields import Text
from accord.identity.models import ApiKey, Role, User


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Text = Field(min_length=3, max_length=320)
    org_id: Text | None = Field(None, description="defaults to the caller's organization")
    role: Role


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None


class UserOut(BaseModel):
    id: str
    email: str
    org_id: str
    role: Role
    is_active: bool
    totp_enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            org_id=user.org_id,
            role=user.role,
            is_active=user.is_active,
            totp_enabled=user.totp_secret is not None,
            created_at=user.created_at,
        )


class NewUserOut(UserOut):
    password: str = Field(description="shown once")


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field("", max_length=200)
    user_id: Text | None = Field(None, description="defaults to the caller")


class ApiKeyOut(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            user_id=key.user_id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="shown once")


class MeOut(BaseModel):
    user: UserOut
    organization: str
    organization_name: str
    sharing_groups: list[str]
