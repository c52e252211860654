"""Migration 0008 bounds the SQLite overlap trigger to one day of the resource's blocks (a block
lasts at most 24 hours): it still refuses every overlap, including one with a block that
started almost 24 hours earlier, and still allows adjacent blocks. PostgreSQL's exclusion
constraint gives the same answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from needleplan.durations.quote import LONGEST_BLOCK
from needleplan.models import BusyBlock, Hold
from tests.conftest import RollbackDatabase
from tests.factories import make_rows

T0 = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def _block(start: datetime, end: datetime, hold_id: str, resource_id: str = "room-1") -> BusyBlock:
    return BusyBlock(
        resource_kind="room",
        resource_id=resource_id,
        starts_at=start,
        ends_at=end,
        hold_id=hold_id,
        expires_at=T0 + timedelta(days=30),
    )


@pytest.fixture
def hold_id(database: RollbackDatabase) -> str:
    with database.transaction() as db:
        provider_id, room_id, location_id, client_id = make_rows(db)
        hold = Hold(
            client_id=client_id,
            provider_id=provider_id,
            room_id=room_id,
            location_id=location_id,
            areas=["lips"],
            intensity="standard",
            numbing=False,
            starts_at=T0,
            ends_at=T0,
            expires_at=T0,
        )
        db.add(hold)
    return hold.id


# (existing block, new block) relative to T0; a 24-hour block is the longest there is.
DAY = LONGEST_BLOCK
CASES = [
    # A 24-hour block that started 23:59 earlier still covers the new block's first minute.
    pytest.param((-DAY + timedelta(minutes=1), timedelta(minutes=1)), (0, 60), True, id="day-1m"),
    # ... and one that started 24 h minus a microsecond earlier, by a microsecond.
    pytest.param((-DAY + US, US), (0, 60), True, id="day-1us"),
    # Fractions on both sides: SQLite's datetime() would round 0.9996 s up to the next second.
    pytest.param(
        (-DAY + timedelta(microseconds=999_700), timedelta(microseconds=999_700)),
        (timedelta(microseconds=999_600), 60),
        True,
        id="fractions",
    ),
    # A 24-hour block that ended exactly when the new one starts: adjacent, allowed.
    pytest.param((-DAY, timedelta(0)), (0, 60), False, id="adjacent-day-before"),
    # Adjacent after, and adjacent on the same day.
    pytest.param((60, 120), (0, 60), False, id="adjacent-after"),
    pytest.param((-60, 0), (0, 60), False, id="adjacent-before"),
    # Plain overlaps.
    pytest.param((30, 90), (0, 60), True, id="inside"),
    pytest.param((-DAY + timedelta(hours=1), timedelta(hours=1)), (0, 60), True, id="day-1h"),
    pytest.param((0, DAY), (60, 120), True, id="new-inside-a-day"),
    # Far in the past and far in the future: no clash.
    pytest.param((-DAY * 400, -DAY * 400 + DAY), (0, 60), False, id="long-ago"),
]


def _at(offset: int | timedelta) -> datetime:
    return T0 + (offset if isinstance(offset, timedelta) else timedelta(minutes=offset))


@pytest.mark.parametrize(("existing", "new", "clash"), CASES)
def test_overlaps_are_refused_and_neighbours_allowed(
    database: RollbackDatabase,
    hold_id: str,
    existing: tuple[int | timedelta, int | timedelta],
    new: tuple[int | timedelta, int | timedelta],
    clash: bool,
) -> None:
    with database.transaction() as db:
        db.add(_block(_at(existing[0]), _at(existing[1]), hold_id))
    with database.session(write=True) as db:
        db.add(_block(_at(new[0]), _at(new[1]), hold_id))
        db.add(_block(_at(new[0]), _at(new[1]), hold_id, "room-2"))  # another resource
        if clash:
            with pytest.raises(IntegrityError, match="slot-taken|ex_busy_blocks_no_overlap"):
                db.flush()
        else:
            db.flush()
        db.rollback()


def test_the_sqlite_trigger_is_bounded(database: RollbackDatabase) -> None:
    if database.connection.dialect.name != "sqlite":
        pytest.skip("the trigger is SQLite's")
    sql = database.connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'busy_blocks_no_overlap'"
    ).scalar_one()
    assert "'-24 hours'" in sql
