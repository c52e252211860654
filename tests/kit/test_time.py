from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from needleplan.models import Provider, ProviderException
from tests.conftest import RollbackDatabase


def test_instants_round_trip_as_aware_utc(database: RollbackDatabase) -> None:
    berlin_morning = datetime(2027, 3, 28, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    with database.transaction() as db:
        provider = Provider(name="P", profession="nurse")
        db.add(provider)
        db.flush()
        db.add(
            ProviderException(
                provider_id=provider.id,
                kind="time_off",
                starts_at=berlin_morning,
                ends_at=berlin_morning + timedelta(hours=1),
            )
        )
    with database.transaction() as db:
        stored = db.execute(select(ProviderException.starts_at)).scalar_one()  # type: ignore[call-overload]
    assert stored.tzinfo is not None
    assert stored == berlin_morning
    assert stored.utcoffset() == timedelta(0)
    assert stored == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)


def test_a_naive_instant_can_never_be_stored(database: RollbackDatabase) -> None:
    with database.transaction() as db:
        provider = Provider(name="P", profession="nurse")
        db.add(provider)
    naive = ProviderException(
        provider_id=provider.id,
        kind="time_off",
        starts_at=datetime(2027, 1, 1, 10, 0),  # noqa: DTZ001 - the point of the test
        ends_at=datetime(2027, 1, 1, 11, 0, tzinfo=UTC),
    )
    with database.session(write=True) as db:
        db.add(naive)
        with pytest.raises(StatementError, match="naive"):
            db.flush()
