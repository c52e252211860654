from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: written with the event (webhooks/fanout.py), sent by the
    worker (webhooks/worker.py) until it succeeds or its retry schedule runs out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
    )

    id: str = id_field()
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", ondelete="CASCADE", max_length=36)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=60)
    state: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    last_duration_ms: int | None = Field(default=None)
    next_attempt_at: datetime | None = instant_field(nullable=True)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
