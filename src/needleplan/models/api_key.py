from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field


class ApiKey(SQLModel, table=True):
    """An API key. Only the SHA-256 digest of the secret is stored, never the key itself."""

    __tablename__ = "api_keys"

    id: str = id_field()
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    key_digest: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = instant_field(nullable=True)
    # Refreshed by authentication at most once a minute per key (auth.service.LAST_USED_PRECISION).
    last_used_at: datetime | None = instant_field(nullable=True)
