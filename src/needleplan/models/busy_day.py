from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel

from needleplan.scheduling.minutes import MINUTES_PER_DAY


class BusyDay(SQLModel, table=True):
    """Which minutes of one UTC day a resource's session blocks cover: a summary that calendar
    reads use instead of the blocks themselves (one row per resource and day, not per session).

    ``minutes`` holds one character per minute of the day, "1" busy and "0" free, so that a
    booking can set its span with one portable SQL expression. It is derived from the session
    blocks (``expires_at IS NULL``) and changed in the same transaction as they are; holds stay
    out, because they expire without anyone writing. ``busy_blocks`` remains the truth that
    the database guards.
    """

    __tablename__ = "busy_days"

    resource_id: str = Field(primary_key=True, max_length=36)
    day: date = Field(primary_key=True)
    minutes: str = Field(min_length=MINUTES_PER_DAY, max_length=MINUTES_PER_DAY)
