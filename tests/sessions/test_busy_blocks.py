"""The database, not Python, guarantees that one resource is never busy twice at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from needleplan.models import BusyBlock, Hold
from needleplan.scheduling.intervals import Interval, covered, merge, subtract
from tests.conftest import RollbackDatabase
from tests.factories import make_rows

T0 = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)


def _block(resource_id: str, start_min: int, end_min: int, hold_id: str) -> BusyBlock:
    return BusyBlock(
        resource_kind="room",
        resource_id=resource_id,
        starts_at=T0 + timedelta(minutes=start_min),
        ends_at=T0 + timedelta(minutes=end_min),
        hold_id=hold_id,
        expires_at=T0 + timedelta(days=1),
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


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [(30, 90, True), (60, 120, False), (0, 60, True), (-30, 0, False), (10, 20, True)],
)
def test_overlapping_blocks_of_one_resource_are_refused_by_the_database(
    database: RollbackDatabase, hold_id: str, start: int, end: int, clash: bool
) -> None:
    with database.transaction() as db:
        db.add(_block("room-1", 0, 60, hold_id))
    with database.session(write=True) as db:
        db.add(_block("room-1", start, end, hold_id))
        db.add(_block("room-2", 0, 60, hold_id))  # another room is another resource
        if clash:
            with pytest.raises(IntegrityError):
                db.flush()
        else:
            db.flush()
        db.rollback()


def test_interval_helpers() -> None:
    def iv(a: int, b: int) -> Interval:
        return Interval(T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))

    assert merge([iv(0, 10), iv(10, 20), iv(30, 40)]) == [iv(0, 20), iv(30, 40)]
    assert subtract([iv(0, 60)], [iv(10, 20), iv(50, 70)]) == [iv(0, 10), iv(20, 50)]
    assert covered(iv(5, 15), [iv(0, 10), iv(10, 20)])
    assert not covered(iv(5, 25), [iv(0, 10), iv(10, 20)])
