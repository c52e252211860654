from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class EligibilitySummary(SQLModel, table=True):
    """Everything the eligibility rule needs about one client, in one row (issue 12): the birth
    date, screenings, retractions and overrides as compact JSON. Written in the transaction
    that changes any of them (screening/summaries.py), so a read of a session or a day costs
    one joined row per client instead of four queries. The verdict still depends on the date
    asked: the rule (screening/eligibility.py) runs on these facts at every read."""

    __tablename__ = "eligibility_summaries"

    client_id: str = Field(primary_key=True, foreign_key="clients.id", max_length=36)
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
