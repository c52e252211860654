"""Creating, revoking and recognising API keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from needleplan.auth.keys import NewKey, digest_of, generate_key
from needleplan.auth.roles import Role
from needleplan.kit.time import utc_now
from needleplan.models import ApiKey
from needleplan.problems import NotFound


@dataclass(frozen=True)
class Caller:
    """Who is calling: the API key's id and role (``key_id`` is None for the command line)."""

    key_id: str | None
    role: Role


CLI_CALLER = Caller(key_id=None, role=Role.admin)


def create_api_key(db: Session, *, name: str, role: Role) -> tuple[ApiKey, NewKey]:
    new_key = generate_key()
    row = ApiKey(
        name=name, role=role.value, key_digest=new_key.digest, key_prefix=new_key.display_prefix
    )
    db.add(row)
    db.flush()
    return row, new_key


def revoke_api_key(db: Session, key_id: str) -> ApiKey:
    row = db.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"No API key has id {key_id!r}.")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        db.flush()
    return row


def caller_for_secret(db: Session, secret: str) -> Caller | None:
    statement = select(ApiKey.id, ApiKey.role).where(
        ApiKey.key_digest == digest_of(secret),
        ApiKey.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    row = db.exec(statement).first()
    if row is None:
        return None
    return Caller(key_id=row[0], role=Role(row[1]))
