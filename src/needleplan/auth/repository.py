"""The statements that read and write API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import ApiKey


def page_of_keys(db: Session, *, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
    return keyset_page(db, select(ApiKey), ApiKey.id, limit=limit, cursor=cursor)


def keys_oldest_first(db: Session) -> Sequence[ApiKey]:
    return db.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))).all()


def keys_named(db: Session, name: str) -> Sequence[ApiKey]:
    return db.exec(select(ApiKey).where(ApiKey.name == name)).all()


# Every request runs it: built once, the digest bound per call.
_LIVE_KEY_BY_DIGEST = select(ApiKey.id, ApiKey.role, ApiKey.last_used_at).where(
    ApiKey.key_digest == bindparam("digest"),
    col(ApiKey.revoked_at).is_(None),
)


def live_key_by_digest(db: Session, digest: str) -> Any:
    """(id, role, last_used_at) of the unrevoked key with this digest, or None.

    A Core row on the transaction's connection: the ORM's execution layer cost more than the
    statement itself, and this runs before every request."""
    return db.connection().execute(_LIVE_KEY_BY_DIGEST, {"digest": digest}).first()


def mark_used_unless_since(db: Session, key_id: str, now: datetime, since: datetime) -> None:
    """Set the key's ``last_used_at`` to ``now`` unless it is already later than ``since``."""
    column = col(ApiKey.last_used_at)
    db.execute(
        update(ApiKey)
        .where(
            col(ApiKey.id) == key_id,
            or_(column.is_(None), column <= since),
        )
        .values(last_used_at=now)
    )
