"""The bulk deletes of housekeeping."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete

from needleplan.models import BusyBlock, IdempotencyRecord


def delete_expired_idempotency_records(db: Session, now: datetime) -> int:
    records = db.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now))
    return records.rowcount


def delete_expired_hold_blocks(db: Session, now: datetime) -> int:
    blocks = db.exec(
        delete(BusyBlock).where(
            col(BusyBlock.expires_at).is_not(None), col(BusyBlock.expires_at) <= now
        )
    )
    return blocks.rowcount
