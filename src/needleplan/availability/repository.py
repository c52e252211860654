"""The queries of one availability search: a fixed number, whatever the range or calendar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, or_, type_coerce
from sqlmodel import Session, col, select

from needleplan.durations.quote import LONGEST_BLOCK
from needleplan.models import BusyBlock, Provider, ProviderException, Room, WorkingInterval
from needleplan.scheduling.intervals import Interval
from needleplan.scheduling.working_time import DatedException, WeeklyInterval


def weekly_plans(
    db: Session, location_id: str, provider_ids: Sequence[str] | None
) -> dict[str, list[WeeklyInterval]]:
    """Active providers' weekly plans at the location (all such providers, or those named).

    Read as plain rows: building ORM objects for every interval of every provider was a large
    share of a search."""
    statement = (
        select(
            col(WorkingInterval.provider_id),
            col(WorkingInterval.weekday),
            col(WorkingInterval.start_time),
            col(WorkingInterval.end_time),
        )
        .join(Provider, col(Provider.id) == col(WorkingInterval.provider_id))
        .where(WorkingInterval.location_id == location_id, col(Provider.active).is_(True))
    )
    if provider_ids is not None:
        statement = statement.where(col(WorkingInterval.provider_id).in_(provider_ids))
    plans: dict[str, list[WeeklyInterval]] = defaultdict(list)
    for provider_id, weekday, start_time, end_time in db.connection().execute(statement).all():
        plans[provider_id].append(WeeklyInterval(weekday, start_time, end_time))
    return plans


def extra_hours_providers(
    db: Session, location_id: str, start: datetime, end: datetime
) -> list[str]:
    """Providers with extra hours at the location in the range (they may have no weekly plan)."""
    rows = db.exec(
        select(ProviderException.provider_id)
        .join(Provider, col(Provider.id) == col(ProviderException.provider_id))
        .where(
            ProviderException.kind == "extra_hours",
            ProviderException.location_id == location_id,
            col(ProviderException.starts_at) < end,
            col(ProviderException.ends_at) > start,
            col(Provider.active).is_(True),
        )
    ).all()
    return sorted(set(rows))


def exceptions(
    db: Session, provider_ids: Sequence[str], location_id: str, start: datetime, end: datetime
) -> dict[str, list[DatedException]]:
    rows = db.exec(
        select(ProviderException).where(
            col(ProviderException.provider_id).in_(provider_ids),
            col(ProviderException.starts_at) < end,
            col(ProviderException.ends_at) > start,
            or_(
                col(ProviderException.kind) == "time_off",
                col(ProviderException.location_id) == location_id,
            ),
        )
    ).all()
    found: dict[str, list[DatedException]] = defaultdict(list)
    for row in rows:
        found[row.provider_id].append(DatedException(row.kind, row.starts_at, row.ends_at))
    return found


def rooms(db: Session, location_id: str, room_id: str | None) -> list[Room]:
    statement = select(Room).where(Room.location_id == location_id, col(Room.active).is_(True))
    if room_id is not None:
        statement = statement.where(Room.id == room_id)
    return list(db.exec(statement).all())


def busy(
    db: Session,
    resource_ids: Sequence[str],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    useless_gap_minutes: Mapping[str, int],
) -> dict[str, list[Interval]]:
    """Busy time of the given providers, rooms and clients (ids are unique across kinds).

    The hot query of a search. Free gaps between blocks shorter than
    ``useless_gap_minutes[kind]`` can never hold the session searched for, so the blocks around
    them are joined: a month of a busy calendar becomes a few intervals per day. Rows are read
    plainly (on SQLite as text, parsed by ``datetime.fromisoformat``) and joined in one pass.
    (Measured: joining them in SQL with window functions was slower on SQLite.)
    """
    on_sqlite = db.get_bind().dialect.name == "sqlite"
    starts = type_coerce(BusyBlock.starts_at, String) if on_sqlite else col(BusyBlock.starts_at)
    ends = type_coerce(BusyBlock.ends_at, String) if on_sqlite else col(BusyBlock.ends_at)
    statement = (
        select(col(BusyBlock.resource_id), col(BusyBlock.resource_kind), starts, ends)
        .where(
            col(BusyBlock.resource_id).in_(resource_ids),
            col(BusyBlock.starts_at) < end,
            # A lower bound on the start keeps the read proportional to the range, not to the
            # resource's whole history.
            col(BusyBlock.starts_at) > start - LONGEST_BLOCK,
            col(BusyBlock.ends_at) > start,
            or_(col(BusyBlock.expires_at).is_(None), col(BusyBlock.expires_at) > now),
        )
        .order_by(col(BusyBlock.resource_id), col(BusyBlock.starts_at))
    )
    # The driver's own rows: no per-row result processing (the loop below parses what it needs).
    rows = db.connection().execute(statement).cursor.fetchall()
    parse: Callable[[Any], datetime] = datetime.fromisoformat if on_sqlite else _naive_utc
    found: dict[str, list[Interval]] = defaultdict(list)
    current_id: str | None = None
    island_start = island_end = datetime.min  # noqa: DTZ901 - naive UTC until the island is closed
    gap = timedelta(0)
    for resource_id, kind, starts_at, ends_at in rows:
        begin, finish = parse(starts_at), parse(ends_at)
        if resource_id == current_id and begin - island_end < gap:
            island_end = max(island_end, finish)
            continue
        if current_id is not None:
            found[current_id].append(_aware(island_start, island_end))
        current_id, island_start, island_end = resource_id, begin, finish
        gap = timedelta(minutes=useless_gap_minutes.get(kind, 0))
    if current_id is not None:
        found[current_id].append(_aware(island_start, island_end))
    return found


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _aware(start: datetime, end: datetime) -> Interval:
    return Interval(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
