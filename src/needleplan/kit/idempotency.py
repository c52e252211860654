"""Idempotency keys (docs/api.md#idempotency), stored in the database so every process sees them.

The first answer to a POST sent with ``Idempotency-Key`` is stored in the same transaction as
the change it made, so "exactly once" holds even when a process dies mid-request. The same key
with another body gets 422; a key whose first request is still running gets 409. Records live
24 hours. Keys are scoped per API key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select
from starlette.responses import Response

from needleplan.kit.time import utc_now
from needleplan.models import IdempotencyRecord
from needleplan.problems import (
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("content-type", "location", "etag", "retry-after", "www-authenticate")


@dataclass(frozen=True)
class IdempotentRequest:
    api_key_id: str
    key: str
    fingerprint: str

    @property
    def lock_id(self) -> int:
        digest = hashlib.sha256(f"{self.api_key_id}\0{self.key}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def check_key(key: str) -> str:
    if not (0 < len(key) <= MAX_KEY_LENGTH) or not key.isascii() or not key.isprintable():
        raise IdempotencyKeyInvalid("An Idempotency-Key must be 1 to 255 visible ASCII characters.")
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Identifies the request: the same JSON with other whitespace or key order is the same."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def claim(db: Session, request: IdempotentRequest) -> Response | None:
    """Take the key for this transaction; the stored answer when there is one to replay."""
    if db.get_bind().dialect.name == "postgresql":
        taken = db.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": request.lock_id})
        if not taken.scalar_one():
            raise IdempotencyInProgress(
                "The first request with this Idempotency-Key is still running."
            )
    # SQLite: write transactions are serialised, so a second request waits for the first.
    record = db.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == request.api_key_id, IdempotencyRecord.key == request.key
        )
    ).first()
    if record is None:
        return None
    if record.expires_at <= utc_now():
        db.delete(record)
        db.flush()
        return None
    if record.request_hash != request.fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was first used for a different request.")
    headers = json.loads(record.headers)
    headers["Idempotent-Replayed"] = "true"
    return Response(content=record.body, status_code=record.status_code, headers=headers)


def remember(db: Session, request: IdempotentRequest, response: Response) -> None:
    """Store a 2xx or 4xx answer for replay; a 5xx is never stored, so a retry runs again."""
    if response.status_code >= 500:
        return
    headers = {k: v for k, v in response.headers.items() if k.lower() in REPLAYED_HEADERS}
    db.add(
        IdempotencyRecord(
            api_key_id=request.api_key_id,
            key=request.key,
            request_hash=request.fingerprint,
            status_code=response.status_code,
            headers=json.dumps(headers),
            body=bytes(response.body),
            expires_at=utc_now() + RETENTION,
        )
    )
    db.flush()
