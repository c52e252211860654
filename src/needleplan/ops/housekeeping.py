"""Housekeeping that correctness never waits for: expired rows only take space.

Expired holds already stop blocking (bookings ignore and clear the ones in their way) and an
expired idempotency key is replaced when reused; this removes the rest in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete

from needleplan.kit.time import utc_now
from needleplan.models import BusyBlock, IdempotencyRecord


@dataclass(frozen=True)
class Purged:
    idempotency_records: int
    hold_blocks: int


def purge_expired(db: Session) -> Purged:
    now = utc_now()
    records = db.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now))
    blocks = db.exec(
        delete(BusyBlock).where(
            col(BusyBlock.expires_at).is_not(None), col(BusyBlock.expires_at) <= now
        )
    )
    return Purged(idempotency_records=records.rowcount, hold_blocks=blocks.rowcount)
