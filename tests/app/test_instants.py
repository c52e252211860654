"""Instants read back time-zone aware and exact on both databases (db.py ``UTCDateTime``),
whatever text SQLite holds: the fast reader must agree with what was written, and text written
by hand (an ISO ``T``, no fraction, an explicit offset) must read as the instant it names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import literal, text, type_coerce
from sqlalchemy.dialects import sqlite
from sqlmodel import select

from needleplan.db import UTCDateTime
from tests.conftest import RollbackDatabase

WRITTEN = [
    datetime(2026, 11, 30, 15, 25, 24, 614916, tzinfo=UTC),
    datetime(2027, 3, 28, 1, 0, tzinfo=UTC),  # a whole second: no fraction stored
    datetime(2027, 3, 28, 3, 0, 0, 1, tzinfo=timezone(timedelta(hours=2))),
]


def test_an_instant_reads_back_as_written_in_utc(database: RollbackDatabase) -> None:
    with database.transaction() as db:
        for instant in WRITTEN:
            read = db.exec(select(literal(instant, UTCDateTime()))).one()
            assert read == instant
            assert read.utcoffset() == timedelta(0)


_SQLITE = sqlite.dialect()
_WRITE_FAST: Callable[[Any], Any] = UTCDateTime().bind_processor(_SQLITE)
_WRITE_STANDARD: Callable[[Any], Any] = sqlite.DATETIME().bind_processor(_SQLITE)  # type: ignore[no-untyped-call, assignment]


@given(
    st.datetimes(
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12, minutes=30))]
        ),
        # Hypothesis bounds are naive; a day inside the extremes keeps every offset in range.
        min_value=datetime(1, 1, 2),  # noqa: DTZ001
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    )
)
def test_sqlite_stores_an_instant_as_sqlalchemys_datetime_text(instant: datetime) -> None:
    """The one-call writer stores what SQLAlchemy's own would: the naive UTC instant as its
    ``DATETIME`` text, so rows written before and after it compare and sort alike."""
    standard = _WRITE_STANDARD(UTCDateTime().process_bind_param(instant, _SQLITE))
    assert _WRITE_FAST(instant) == standard


def test_sqlite_refuses_to_store_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="naive"):
        _WRITE_FAST(datetime(2026, 11, 30, 12, 0))  # noqa: DTZ001 (the point of the test)
    assert _WRITE_FAST(None) is None


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-11-30 15:25:24.614916", datetime(2026, 11, 30, 15, 25, 24, 614916, tzinfo=UTC)),
        ("2026-11-30T15:25:24", datetime(2026, 11, 30, 15, 25, 24, tzinfo=UTC)),
        ("2026-11-30 16:25:24+01:00", datetime(2026, 11, 30, 15, 25, 24, tzinfo=UTC)),
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
    ],
)
def test_text_stored_by_hand_reads_as_the_instant_it_names(
    database: RollbackDatabase, stored: str, expected: datetime
) -> None:
    with database.transaction() as db:
        if db.get_bind().dialect.name != "sqlite":
            pytest.skip("PostgreSQL stores instants as timestamptz, never as text")
        read = db.exec(select(type_coerce(text(f"'{stored}'"), UTCDateTime()))).one()
        assert read == expected
        assert read.tzinfo is not None
