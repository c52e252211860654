"""The queries of one availability search: a fixed number, whatever the range or calendar.
(Session blocks are read from their summary, ``sessions/busy_days.py``.)

Statements are built once, with bound parameters: building one cost about as much as running
it, and a course proposal runs these for every session it places."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, bindparam, literal_column, or_, union_all
from sqlmodel import Session, col, select

from needleplan.models import BusyBlock, Provider, ProviderException, Room, WorkingInterval
from needleplan.scheduling.intervals import Interval
from needleplan.scheduling.working_time import DatedException, WeeklyInterval

_WEEKLY_PLANS = (
    select(
        col(WorkingInterval.provider_id),
        col(WorkingInterval.weekday),
        col(WorkingInterval.start_time),
        col(WorkingInterval.end_time),
    )
    .join(Provider, col(Provider.id) == col(WorkingInterval.provider_id))
    .where(
        col(WorkingInterval.location_id) == bindparam("location_id"),
        col(Provider.active).is_(True),
    )
)


def weekly_plans(db: Session, location_id: str) -> dict[str, list[WeeklyInterval]]:
    """Every active provider's weekly plan at the location.

    Read as plain rows: building ORM objects for every interval of every provider was a large
    share of a search."""
    rows = db.connection().execute(_WEEKLY_PLANS, {"location_id": location_id}).all()
    plans: dict[str, list[WeeklyInterval]] = defaultdict(list)
    for provider_id, weekday, start_time, end_time in rows:
        plans[provider_id].append(WeeklyInterval(weekday, start_time, end_time))
    return dict(plans)


@dataclass(frozen=True)
class Exceptions:
    """Active providers' time off (anywhere) and extra hours (at the location) in a range."""

    by_provider: Mapping[str, list[DatedException]]

    @property
    def extra_hours(self) -> set[str]:
        """Providers with extra hours here: they may work although they have no weekly plan."""
        return {
            provider_id
            for provider_id, found in self.by_provider.items()
            if any(e.kind == "extra_hours" for e in found)
        }

    def of(self, provider_id: str) -> list[DatedException]:
        return list(self.by_provider.get(provider_id, []))


_EXCEPTIONS = (
    select(
        col(ProviderException.provider_id),
        col(ProviderException.kind),
        col(ProviderException.starts_at),
        col(ProviderException.ends_at),
    )
    .join(Provider, col(Provider.id) == col(ProviderException.provider_id))
    .where(
        col(ProviderException.starts_at) < bindparam("end"),
        col(ProviderException.ends_at) > bindparam("start"),
        or_(
            col(ProviderException.kind) == "time_off",
            col(ProviderException.location_id) == bindparam("location_id"),
        ),
        col(Provider.active).is_(True),
    )
)

# Session blocks come from the busy-day summary; holds stay out of it because they expire
# without a write. Live holds are few in the whole clinic, so the read goes by expiry (its
# index) and takes them all.
_HOLD = "hold"  # no exception has this kind
_LIVE_HOLDS = select(
    col(BusyBlock.resource_id),
    literal_column(f"'{_HOLD}'", String()),
    col(BusyBlock.starts_at),
    col(BusyBlock.ends_at),
).where(
    col(BusyBlock.expires_at) > bindparam("now"),
    col(BusyBlock.starts_at) < bindparam("end"),
    col(BusyBlock.ends_at) > bindparam("start"),
)

# Both are a handful of timed rows in the horizon: one statement (one round trip) for the two.
_EXCEPTIONS_AND_HOLDS = union_all(_EXCEPTIONS, _LIVE_HOLDS)


def exceptions_and_holds(
    db: Session, location_id: str, start: datetime, end: datetime, now: datetime
) -> tuple[Exceptions, dict[str, list[Interval]]]:
    """Every active provider's exceptions touching [start, end) (time off is rare: all of it in
    the range), and the unexpired hold blocks touching it, by resource."""
    parameters = {"location_id": location_id, "start": start, "end": end, "now": now}
    exceptions: dict[str, list[DatedException]] = defaultdict(list)
    holds: dict[str, list[Interval]] = defaultdict(list)
    rows = db.connection().execute(_EXCEPTIONS_AND_HOLDS, parameters)
    for resource_id, kind, starts_at, ends_at in rows:
        if kind == _HOLD:
            holds[resource_id].append(Interval(starts_at, ends_at))
        else:
            exceptions[resource_id].append(DatedException(kind, starts_at, ends_at))
    return Exceptions(dict(exceptions)), dict(holds)


@dataclass(frozen=True)
class SearchedRoom:
    id: str
    name: str


_ROOMS = select(col(Room.id), col(Room.name), col(Room.device_codes)).where(
    col(Room.location_id) == bindparam("location_id"), col(Room.active).is_(True)
)
_ONE_ROOM = _ROOMS.where(col(Room.id) == bindparam("room_id"))


def rooms(
    db: Session, location_id: str, room_id: str | None, device_code: str | None = None
) -> list[SearchedRoom]:
    """The location's active rooms (or the one named), as plain rows; with ``device_code``,
    only those holding that device (a JSON list: filtered here, a location has few rooms)."""
    if room_id is None:
        rows = db.connection().execute(_ROOMS, {"location_id": location_id})
    else:
        rows = db.connection().execute(_ONE_ROOM, {"location_id": location_id, "room_id": room_id})
    return [
        SearchedRoom(found_id, name)
        for found_id, name, device_codes in rows
        if device_code is None or device_code in (device_codes or [])
    ]
