"""Creating, revoking and recognising API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth import repository
from needleplan.auth.keys import NewKey, digest_of, generate_key
from needleplan.auth.roles import Role
from needleplan.auth.schemas import ApiKeyRead
from needleplan.events.outbox import renders_row
from needleplan.kit.time import utc_now
from needleplan.models import ApiKey
from needleplan.problems import NotFound


@dataclass(frozen=True)
class Caller:
    """Who is calling: the API key's id and role (``key_id`` is None for the command line)."""

    key_id: str | None
    role: Role


CLI_CALLER = Caller(key_id=None, role=Role.admin)

# ``last_used_at`` is refreshed only when it is older than this, so authentication writes at
# most about once a minute per key instead of on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyMatch:
    """The caller a secret belongs to, and when its key was last seen (None: never)."""

    caller: Caller
    last_used_at: datetime | None

    def last_use_is_stale(self, now: datetime) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION


def create_api_key(
    db: Session, *, name: str, role: Role, caller: Caller = CLI_CALLER
) -> tuple[ApiKey, NewKey]:
    new_key = generate_key()
    row = ApiKey(
        name=name, role=role.value, key_digest=new_key.digest, key_prefix=new_key.display_prefix
    )
    db.add(row)
    db.flush()
    record(db, caller, "create", "api_key", row.id)
    return row, new_key


def revoke_api_key(db: Session, key_id: str, *, caller: Caller = CLI_CALLER) -> ApiKey:
    row = db.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"No API key has id {key_id!r}.")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        db.flush()
    record(db, caller, "revoke", "api_key", key_id)
    return row


def match_secret(db: Session, secret: str) -> KeyMatch | None:
    row = repository.live_key_by_digest(db, digest_of(secret))
    if row is None:
        return None
    return KeyMatch(caller=Caller(key_id=row[0], role=Role(row[1])), last_used_at=row[2])


def mark_used(db: Session, key_id: str, now: datetime) -> None:
    """Record that a key was used at ``now``, unless another request already did it lately.

    The condition makes concurrent requests of one key (in any process) write once.
    """
    repository.mark_used_unless_since(db, key_id, now, now - LAST_USED_PRECISION)


renders_row("api_key", ApiKey, ApiKeyRead)
