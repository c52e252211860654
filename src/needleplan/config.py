"""Settings, read from ``NEEDLEPLAN_*`` environment variables.

Every clinical number is a clinic-configurable default, never a constant buried in code
(docs/operations.md#configuration).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEEDLEPLAN_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./needleplan.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host:5432/db",
    )
    numbing_minutes: int = Field(default=30, ge=20, le=60)
    turnover_minutes: int = Field(default=10, ge=0, le=120)
    duration_rounding_minutes: int = Field(default=5, ge=1, le=60)
    slot_grid_minutes: int = Field(default=5, ge=1, le=60)
    # The grid divides an hour, so stepping in UTC stays on the local grid across DST.
    minimum_notice_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)
    hold_minutes: int = Field(default=5, ge=1, le=60)
    # The front desk checks a client in from this long before the start ...
    arrive_lead_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # ... until this long after the session's end (never past its local day).
    arrive_grace_minutes: int = Field(default=120, ge=0, le=24 * 60)
    plan_min_interval_days: int = Field(default=28, ge=1, le=365)
    plan_max_interval_days: int = Field(default=42, ge=1, le=365)
    maintenance_after_months: int = Field(default=6, ge=1, le=60)
    screening_validity_days: int = Field(default=30, ge=1, le=365)
    minimum_age_years: int = Field(default=22, ge=0, le=120)
    # Larger request bodies are refused with 413 as soon as they pass it (kit.body_limit).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: LogLevel = "INFO"
    # GET /metrics needs an admin key unless this is true (docs/operations.md#metrics).
    metrics_public: bool = False
    # The change feed keeps events this long; `needleplan purge` deletes older ones.
    event_retention_days: int = Field(default=30, ge=1, le=3650)
    # Webhooks (docs/operations.md#webhooks): http and private addresses only when this is true.
    webhook_allow_private: bool = False
    # Seconds before each attempt of a delivery (the first: after the event); then it has failed.
    webhook_retry_schedule: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    )
    # An endpoint whose every delivery failed for this long is disabled.
    webhook_disable_after_hours: float = Field(default=120, gt=0, le=24 * 365)
    # Calendar feeds (calendar_feeds/): the sessions from this many days back to this many ahead.
    calendar_past_days: int = Field(default=30, ge=0, le=3650)
    calendar_future_days: int = Field(default=365, ge=1, le=3650)
    # Care notices (docs/operations.md#care-notices): the worker looks for due notices this
    # often when none is due, and emits at most this many per transaction.
    notice_poll_seconds: float = Field(default=5, gt=0, le=3600)
    notice_batch_size: int = Field(default=50, ge=1, le=1000)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # A comma-separated list reads better in an environment variable than JSON.
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_not_empty(cls, value: list[int]) -> list[int]:
        if not value or any(seconds < 0 for seconds in value):
            raise ValueError("the retry schedule is one or more non-negative numbers of seconds")
        return value

    @field_validator("slot_grid_minutes")
    @classmethod
    def _grid_divides_an_hour(cls, value: int) -> int:
        if 60 % value:
            raise ValueError(
                "the slot grid must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)"
            )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


@lru_cache
def get_settings() -> Settings:
    return Settings()
