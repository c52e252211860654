"""Queries of the booking engine: working time, busy blocks and sessions."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import NullType
from sqlmodel import Session, col, delete, select

from needleplan.db import UTCDateTime
from needleplan.durations.quote import LONGEST_BLOCK
from needleplan.kit.ids import new_id
from needleplan.kit.pagination import keyset_page, keyset_parameters, keyset_rows, keyset_statement
from needleplan.kit.statuses import SessionStatus
from needleplan.models import (
    BusyBlock,
    Client,
    EligibilitySummary,
    Location,
    Provider,
    ProviderException,
    Room,
    SessionMove,
    TreatmentSession,
    WorkingInterval,
)
from needleplan.scheduling.working_time import DatedException, WeeklyInterval
from needleplan.screening.repository import summary_columns
from needleplan.sessions import busy_days
from needleplan.sessions.blocks import Block


def _readable() -> Select[Any]:
    """Sessions as they are read (sessions/views.py): every column as a Core row, with the
    location's time zone and the client's eligibility summary joined, so a read of one session
    or of a page is one statement."""
    sessions = TreatmentSession.__table__  # type: ignore[attr-defined]
    return (
        core_select(*sessions.columns, col(Location.time_zone), *summary_columns())
        .join(Location, col(Location.id) == col(TreatmentSession.location_id))
        .join(Client, col(Client.id) == col(TreatmentSession.client_id))
        .outerjoin(
            EligibilitySummary,
            col(EligibilitySummary.client_id) == col(TreatmentSession.client_id),
        )
    )


# Built once; the id is bound per call, the filters of a page or day added per call.
_READABLE = _readable()


def _as_stored(statement: Select[Any]) -> Select[Any]:
    """``statement``, a ``_readable`` read, selecting the session's columns and its location's
    zone as the driver gives them, with no conversion per value (the areas as their JSON text),
    and the summary columns as they are: what sessions/reads.py keeps a rendered session by,
    and ``typed_read`` converts when it must render one. A day reads 40 rows, a page 50: the
    conversions took a quarter of a kept day's read."""
    stored: list[ColumnElement[Any]] = [
        cast(column, Text) if column.name == "areas" else type_coerce(column, NullType())
        for column in _SESSION_COLUMNS
    ]
    as_stored: Select[Any] = statement.with_only_columns(
        *(column.label(name) for column, name in zip(stored, _SESSION_NAMES, strict=True)),
        type_coerce(col(Location.time_zone), NullType()).label("time_zone"),
        *summary_columns(),
        maintain_column_froms=False,
    )
    return as_stored


_SESSION_COLUMNS = list(TreatmentSession.__table__.columns)  # type: ignore[attr-defined]
_SESSION_NAMES = [column.name for column in _SESSION_COLUMNS]


class TypedRead:
    """A stored read row (``_as_stored``) with its values converted as a ``_readable`` row's:
    ``_mapping`` as a Core row's, and the columns as attributes."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


@functools.lru_cache(maxsize=8)  # one per dialect in use
def _conversions(dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    """For each session column, what turns its stored value into the typed one: the column
    type's own result processor for this dialect; the areas' JSON text is decoded."""
    return [
        json.loads
        if column.name == "areas"
        else column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _SESSION_COLUMNS
    ]


def typed_read(db: Session, row: Row[Any]) -> TypedRead:
    """A stored read row as a ``_readable`` row reads (to render it)."""
    conversions = _conversions(db.get_bind().dialect)
    mapping = dict(row._mapping)
    for name, convert in zip(_SESSION_NAMES, conversions, strict=True):
        value = mapping[name]
        if convert is not None and value is not None:
            mapping[name] = convert(value)
    return TypedRead(mapping)


_SESSION_READ = _READABLE.where(col(TreatmentSession.id) == bindparam("session_id"))


_STORED_SESSION_READ = _as_stored(_SESSION_READ)


def session_read_row(db: Session, session_id: str) -> Row[Any] | None:
    """One session as it is read (``_readable``), or None."""
    return db.connection().execute(_SESSION_READ, {"session_id": session_id}).first()


def stored_session_row(db: Session, session_id: str) -> Row[Any] | None:
    """One session as stored (``_as_stored``), or None."""
    return db.connection().execute(_STORED_SESSION_READ, {"session_id": session_id}).first()


def _provider_day_zone() -> Select[Any]:
    first_location = (
        core_select(col(WorkingInterval.location_id))
        .where(col(WorkingInterval.provider_id) == col(Provider.id))
        .order_by(col(WorkingInterval.weekday), col(WorkingInterval.start_time))
        .limit(1)
        .correlate(Provider)
        .scalar_subquery()
    )
    location_id = func.coalesce(bindparam("location_id", type_=String), first_location)
    time_zone = (
        core_select(col(Location.time_zone))
        .where(col(Location.id) == location_id)
        .scalar_subquery()
    )
    return core_select(
        col(Provider.id), location_id.label("location_id"), time_zone.label("time_zone")
    ).where(col(Provider.id) == bindparam("provider_id"))


_PROVIDER_DAY_ZONE = _provider_day_zone()


def provider_day_zone(db: Session, provider_id: str, location_id: str | None) -> Row[Any] | None:
    """Whose day a provider's schedule shows, in one statement: None for an unknown provider,
    else ``location_id`` (the one asked for or, left out, where the provider's week starts;
    None when they have no working plan) and its ``time_zone`` (None for an unknown one)."""
    # On the transaction's connection: the ORM session's execution layer cost more than the
    # statement (nothing of this transaction needs flushing before a read of three tables).
    return (
        db.connection()
        .execute(_PROVIDER_DAY_ZONE, {"provider_id": provider_id, "location_id": location_id})
        .first()
    )


# (from, to, provider, room, client, status, cursor): which filters a page has.
_PageShape = tuple[bool, bool, bool, bool, bool, bool, bool]
_PAGE_KEYS = (TreatmentSession.starts_at, TreatmentSession.id)


@functools.cache  # at most 2^7 shapes
def _page_statement(shape: _PageShape) -> Select[Any]:
    """A page of sessions as stored (``_as_stored``), by start, with the filters of ``shape``
    as bound values (``page_of_sessions``), built once per shape."""
    starts_from, until, provider, room, client, status, cursor = shape
    statement = _READABLE
    if starts_from:
        # The lower bound on the start lets the index seek instead of reading all history.
        statement = statement.where(
            col(TreatmentSession.ends_at) > bindparam("starts_from"),
            col(TreatmentSession.starts_at) > bindparam("starts_after"),
        )
    if until:
        statement = statement.where(col(TreatmentSession.starts_at) < bindparam("until"))
    for column, name, wanted in (
        (TreatmentSession.provider_id, "provider_id", provider),
        (TreatmentSession.room_id, "room_id", room),
        (TreatmentSession.client_id, "client_id", client),
        (TreatmentSession.status, "status", status),
    ):
        if wanted:
            statement = statement.where(col(column) == bindparam(name))
    statement = keyset_statement(statement, *_PAGE_KEYS, with_cursor=cursor)
    assert isinstance(statement, Select)
    return _as_stored(statement)


def page_of_sessions(
    db: Session,
    *,
    starts_from: datetime | None,
    until: datetime | None,
    provider_id: str | None,
    room_id: str | None,
    client_id: str | None,
    status: SessionStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Row[Any]], str | None]:
    """A page of sessions as stored (``_as_stored``), by start, and the next page's cursor."""
    filters = {
        "provider_id": provider_id,
        "room_id": room_id,
        "client_id": client_id,
        "status": status,
    }
    shape = (
        starts_from is not None,
        until is not None,
        *(value is not None for value in filters.values()),
        cursor is not None,
    )
    parameters = keyset_parameters(*_PAGE_KEYS, limit=limit, cursor=cursor)
    parameters.update((name, value) for name, value in filters.items() if value is not None)
    if starts_from is not None:
        parameters.update(starts_from=starts_from, starts_after=starts_from - LONGEST_BLOCK)
    if until is not None:
        parameters["until"] = until
    statement = _page_statement(shape)
    rows = list(db.connection().execute(statement, parameters).all())
    return keyset_rows(rows, *_PAGE_KEYS, limit=limit, typed=lambda row: typed_read(db, row))


def page_of_moves(
    db: Session, session_id: str, *, limit: int, cursor: str | None
) -> tuple[list[SessionMove], str | None]:
    statement = select(SessionMove).where(SessionMove.session_id == session_id)
    return keyset_page(db, statement, SessionMove.id, limit=limit, cursor=cursor)


def _live_sessions_between(owner: str) -> Select[Any]:
    owned_by = {"provider": TreatmentSession.provider_id, "room": TreatmentSession.room_id}
    return (
        _as_stored(_READABLE)
        .where(
            col(TreatmentSession.starts_at) < bindparam("end"),
            col(TreatmentSession.starts_at)
            > bindparam("start_after"),  # an index range, not history
            col(TreatmentSession.ends_at) > bindparam("start"),
            col(TreatmentSession.status).not_in(
                [SessionStatus.cancelled, SessionStatus.entered_in_error]
            ),
            col(owned_by[owner]) == bindparam("owner_id"),
        )
        .order_by(col(TreatmentSession.starts_at), col(TreatmentSession.id))
    )


# Built once per owner (a statement built per request cost more than running it).
_LIVE_SESSIONS_BETWEEN = {owner: _live_sessions_between(owner) for owner in ("provider", "room")}


def live_sessions_between(
    db: Session,
    start: datetime,
    end: datetime,
    *,
    provider_id: str | None,
    room_id: str | None,
) -> list[Row[Any]]:
    """The provider's or room's sessions overlapping [start, end) that are neither cancelled nor
    entered in error, in start order, as stored (``_as_stored``)."""
    if (provider_id is None) == (room_id is None):
        raise ValueError("a provider's day or a room's, not both or neither")
    owner, owner_id = ("provider", provider_id) if provider_id is not None else ("room", room_id)
    parameters = {"start": start, "end": end, "start_after": start - LONGEST_BLOCK}
    rows = db.connection().execute(
        _LIVE_SESSIONS_BETWEEN[owner], {**parameters, "owner_id": owner_id}
    )
    return list(rows.all())


# A booking's reads, built once (statement building cost more than running them on SQLite);
# the values are bound per call.
_REFERENCES = (
    select(Client, Provider, Location, Room, *summary_columns())
    .select_from(Client)
    .outerjoin(EligibilitySummary, col(EligibilitySummary.client_id) == col(Client.id))
    .join(Provider, true())
    .join(Location, true())
    .join(Room, true())
    .where(
        col(Client.id) == bindparam("client_id"),
        col(Provider.id) == bindparam("provider_id"),
        col(Location.id) == bindparam("location_id"),
        col(Room.id) == bindparam("room_id"),
    )
)


def references(
    db: Session, client_id: str, provider_id: str, location_id: str, room_id: str
) -> tuple[Client, Provider, Location, Room, Row[Any]] | None:
    """A booking's four references in one round trip, with the client's eligibility summary
    (``summary_columns``: the row last), or None when any is missing (the caller then names
    which, one by one)."""
    row = db.execute(
        _REFERENCES,
        {
            "client_id": client_id,
            "provider_id": provider_id,
            "location_id": location_id,
            "room_id": room_id,
        },
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3], row)


def _no_instant() -> Any:
    return type_coerce(null(), UTCDateTime())


# The provider's weekly plan at the location (rows marked "plan") and their time off anywhere or
# extra hours at the location touching [start, end) (rows of that kind), in one round trip.
_PLAN_ROW = "plan"
_WORKING_TIME = union_all(
    core_select(
        literal(_PLAN_ROW).label("kind"),
        col(WorkingInterval.weekday),
        col(WorkingInterval.start_time),
        col(WorkingInterval.end_time),
        _no_instant().label("starts_at"),
        _no_instant().label("ends_at"),
    ).where(
        col(WorkingInterval.provider_id) == bindparam("provider_id"),
        col(WorkingInterval.location_id) == bindparam("location_id"),
    ),
    core_select(
        col(ProviderException.kind),
        null(),
        null(),
        null(),
        col(ProviderException.starts_at),
        col(ProviderException.ends_at),
    ).where(
        col(ProviderException.provider_id) == bindparam("provider_id"),
        col(ProviderException.starts_at) < bindparam("end", type_=UTCDateTime()),
        col(ProviderException.ends_at) > bindparam("start", type_=UTCDateTime()),
        or_(
            col(ProviderException.kind) == "time_off",
            col(ProviderException.location_id) == bindparam("location_id"),
        ),
    ),
)


def working_time(
    db: Session, provider_id: str, location_id: str, start: datetime, end: datetime
) -> tuple[list[WeeklyInterval], list[DatedException]]:
    """The provider's weekly plan at the location, and their time off anywhere and extra hours
    at this location that touch [start, end)."""
    rows = db.connection().execute(
        _WORKING_TIME,
        {"provider_id": provider_id, "location_id": location_id, "start": start, "end": end},
    )
    plan: list[WeeklyInterval] = []
    exceptions: list[DatedException] = []
    for kind, weekday, start_time, end_time, starts_at, ends_at in rows:
        if kind == _PLAN_ROW:
            plan.append(WeeklyInterval(weekday, start_time, end_time))
        else:
            exceptions.append(DatedException(kind, starts_at, ends_at))
    return plan, exceptions


def _overlapping(count: int) -> ColumnElement[bool]:
    """Overlap with any of ``count`` blocks, bound as ``kind_<n>``, ``id_<n>``, ``start_<n>``,
    ``end_<n>`` and ``after_<n>`` (the start less the longest block)."""
    return or_(
        *(
            and_(
                col(BusyBlock.resource_kind) == bindparam(f"kind_{n}"),
                col(BusyBlock.resource_id) == bindparam(f"id_{n}"),
                col(BusyBlock.starts_at) < bindparam(f"end_{n}", type_=UTCDateTime()),
                # Lets the (kind, id, start) index seek instead of reading the resource's past.
                col(BusyBlock.starts_at) > bindparam(f"after_{n}", type_=UTCDateTime()),
                col(BusyBlock.ends_at) > bindparam(f"start_{n}", type_=UTCDateTime()),
            )
            for n in range(count)
        )
    )


_BUSY_BLOCKS: Table = BusyBlock.__table__  # type: ignore[attr-defined]  # SQLModel does not declare it


@functools.cache
def _overlapping_blocks(count: int) -> Any:
    """Built once per number of blocks (a booking has three or four). Core rows: nothing reads
    the blocks as ORM objects, and loading them as such cost more than the statement."""
    return (
        core_select(*_BUSY_BLOCKS.columns)
        .where(_overlapping(count))
        .order_by(col(BusyBlock.starts_at))
    )


def overlapping_blocks(db: Session, blocks: Sequence[Block]) -> list[Row[Any]]:
    """Blocks that overlap ``blocks`` on the same resource, expired holds included (every
    column of ``busy_blocks``, by name)."""
    values: dict[str, Any] = {}
    for n, b in enumerate(blocks):
        values[f"kind_{n}"] = b.resource.value
        values[f"id_{n}"] = b.resource_id
        values[f"start_{n}"] = b.start
        values[f"end_{n}"] = b.end
        values[f"after_{n}"] = b.start - LONGEST_BLOCK
    return list(db.connection().execute(_overlapping_blocks(len(blocks)), values).all())


def _delete_where(db: Session, condition: Any) -> None:
    """Delete blocks; the session blocks among them give their minutes back in the busy-day
    summary (holds are not in it)."""
    deleted = db.execute(
        delete(BusyBlock)
        .where(condition)
        .returning(
            col(BusyBlock.resource_id),
            col(BusyBlock.starts_at),
            col(BusyBlock.ends_at),
            col(BusyBlock.expires_at),
        )
    ).all()
    busy_days.record(db, freed=[(row[0], row[1], row[2]) for row in deleted if row[3] is None])


def delete_blocks_by_id(db: Session, block_ids: Sequence[str]) -> None:
    if block_ids:
        _delete_where(db, col(BusyBlock.id).in_(block_ids))


def delete_blocks(
    db: Session, *, session_id: str | None = None, hold_id: str | None = None
) -> None:
    if session_id is not None:
        _delete_where(db, col(BusyBlock.session_id) == session_id)
    if hold_id is not None:
        _delete_where(db, col(BusyBlock.hold_id) == hold_id)


_INSERT_BLOCKS = insert(_BUSY_BLOCKS)
# PostgreSQL: a block the exclusion constraint refuses is skipped instead of failing the
# statement, so the transaction goes on to name who is in the way without a savepoint (two
# round trips fewer per booking). The ids say which blocks went in.
_INSERT_FREE_BLOCKS = (
    postgresql_insert(_BUSY_BLOCKS).on_conflict_do_nothing().returning(_BUSY_BLOCKS.c.id)
)
# A lost race takes back the blocks that went in: never counted in the busy days (below).
_TAKE_BACK_BLOCKS = _BUSY_BLOCKS.delete().where(
    _BUSY_BLOCKS.c.id.in_(bindparam("ids", expanding=True))
)


def insert_blocks(
    db: Session,
    blocks: Sequence[Block],
    *,
    session_id: str | None = None,
    hold_id: str | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Insert in one statement; False when the database refuses an overlap (a lost race).

    Either way the transaction can still ask who is in the way: PostgreSQL skips a refused
    block (and the blocks that went in are taken out again), SQLite's trigger aborts only the
    statement.
    """
    rows = [
        {
            "id": new_id(),
            "resource_kind": b.resource.value,
            "resource_id": b.resource_id,
            "starts_at": b.start,
            "ends_at": b.end,
            "session_id": session_id,
            "hold_id": hold_id,
            "expires_at": expires_at,
        }
        for b in blocks
    ]
    # The owner (a session or hold) must be written first: the blocks' foreign keys name it.
    db.flush()
    # Core on the transaction's connection: the ORM's bulk insert cost more than the statement.
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        placed = connection.execute(_INSERT_FREE_BLOCKS, rows).scalars().all()
        if len(placed) < len(rows):
            if placed:
                connection.execute(_TAKE_BACK_BLOCKS, {"ids": list(placed)})
            return False
    else:
        try:
            connection.execute(_INSERT_BLOCKS, rows)
        except IntegrityError as exc:
            if _is_overlap(exc):
                return False
            raise
    if expires_at is None:
        busy_days.record(db, taken=[(b.resource_id, b.start, b.end) for b in blocks])
    return True


def _is_overlap(exc: IntegrityError) -> bool:
    # The busy_blocks_no_overlap trigger's message (SQLite; PostgreSQL skips refused blocks).
    return "slot-taken" in str(exc.orig)
