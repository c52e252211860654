"""Housekeeping that correctness never waits for: expired rows only take space.

Expired holds already stop blocking (bookings ignore and clear the ones in their way) and an
expired idempotency key is replaced when reused; this removes the rest in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from needleplan.events.service import prune
from needleplan.kit.time import utc_now
from needleplan.ops import repository


@dataclass(frozen=True)
class Purged:
    idempotency_records: int
    hold_blocks: int
    events: int = 0


def purge_expired(db: Session, *, event_retention_days: int = 30) -> Purged:
    now = utc_now()
    records = repository.delete_expired_idempotency_records(db, now)
    blocks = repository.delete_expired_hold_blocks(db, now)
    events = prune(db, event_retention_days)
    return Purged(idempotency_records=records, hold_blocks=blocks, events=events)
