from __future__ import annotations

from datetime import datetime

from pydantic import Field

from needleplan.auth.roles import Role
from needleplan.kit.models import RequestModel, ResponseModel, Text


class ApiKeyCreate(RequestModel):
    name: Text = Field(min_length=1, max_length=100, examples=["front desk PC 1"])
    role: Role


class ApiKeyRead(ResponseModel):
    id: str
    name: str
    role: Role
    key_prefix: str = Field(description="The first characters of the key, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When the key last authenticated a request, to the minute; null: never."
    )


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The API key itself. It is shown only in this answer.")


class ApiKeyPage(ResponseModel):
    items: list[ApiKeyRead]
    next_cursor: str | None
