from __future__ import annotations

from datetime import time

from sqlmodel import Field, SQLModel

from needleplan.models._columns import id_field


class WorkingInterval(SQLModel, table=True):
    """One interval of a provider's weekly plan, in the location's local wall time."""

    __tablename__ = "working_intervals"

    id: str = id_field()
    provider_id: str = Field(foreign_key="providers.id", max_length=36, index=True)
    location_id: str = Field(foreign_key="locations.id", max_length=36)
    weekday: int = Field(description="ISO weekday: 1 = Monday ... 7 = Sunday")
    start_time: time
    end_time: time
