"""Local-calendar arithmetic in a location's IANA zone (docs/domain.md#local-time).

Clinics think in local dates and wall-clock times; the database stores UTC instants. A wall time
that does not exist (the spring gap) moves forward by the gap; an ambiguous one (the autumn
overlap) takes the first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=4096)
def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant at which clocks in ``zone`` show ``wall`` on ``day``.

    PEP 495's ``fold=0`` reads a wall time with the offset in force before a transition: in the
    spring gap that lands after the gap (02:30 becomes 03:30), and in the autumn overlap it is
    the first occurrence.

    The result is in UTC on purpose: Python compares and subtracts two datetimes that share a
    tzinfo by their wall clocks, which is wrong across a DST change.

    Memoised: a month of working plans asks for the same few (day, wall time) pairs for every
    provider, and each zone conversion costs microseconds. The function is pure.
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The half-open UTC range [start, end) of a local calendar day (23, 24 or 25 hours)."""
    return local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def in_zone(instant: datetime, zone: ZoneInfo) -> datetime:
    """The same instant, shown with the zone's offset (how responses render instants)."""
    return instant.astimezone(zone)
