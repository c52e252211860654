from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field


class IdempotencyRecord(SQLModel, table=True):
    """The stored answer to a request sent with an ``Idempotency-Key`` (24 hours)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: str = id_field()
    api_key_id: str = Field(max_length=36)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    headers: str = Field(description="JSON object of the replayed headers")
    body: bytes
    created_at: datetime = created_at_field()
    expires_at: datetime = instant_field(index=True)
