"""Reference data read once per change, not once per request, and never stale in any process.

A :class:`VersionedCache` keeps one value (the condition catalogue, say) with the version token
it was loaded under. Every use reads the token in the caller's own transaction (one cheap
aggregate statement of the table's repository) and reloads only when the token differs, so a
change committed by any process is seen by the next transaction that starts after it: no timer,
no message between processes.

Rules that keep it correct:

- the token is read *before* the value, in the same transaction: a change committed between the
  two reads stores a newer value under an older token, which only costs one more reload;
- a transaction that wrote the table itself (``mark_written``) neither uses nor fills the cache:
  what it sees may still roll back;
- the value belongs to one database: the cache is keyed by the session's engine pool (or, for a
  session bound to a connection, as the tests' are, that connection).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

T = TypeVar("T")


class VersionedCache(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._where: object = None
        self._token: Hashable = None
        self._value: T | None = None
        self.loads = 0  # how many times the value was read from the database (for tests)

    def get(self, db: Session, token: Hashable, load: Callable[[], T]) -> T:
        """The value, from memory when ``token`` (read in ``db``'s transaction, before ``load``
        runs) is the one it was loaded under."""
        if db.info.get(self._written_key):
            return load()
        where = _database_of(db)
        current = token
        if self._value is not None and self._where is where and self._token == current:
            return self._value
        value = load()
        self.loads += 1
        self._where, self._token, self._value = where, current, value
        return value

    def written(self, db: Session) -> bool:
        """Whether ``db``'s transaction changed the cached table."""
        return bool(db.info.get(self._written_key))

    def mark_written(self, db: Session) -> None:
        """``db``'s transaction changes the cached table: it reads the table directly."""
        db.info[self._written_key] = True

    @property
    def _written_key(self) -> str:
        return f"needleplan.versioned_cache.{self.name}.written"


def database_of(db: Session) -> object:
    """What identifies ``db``'s database for a cache shared by the process."""
    return _database_of(db)


def _database_of(db: Session) -> object:
    bind = db.get_bind()
    # Every engine of one database URL in a process shares its pool (the write engine is the
    # read engine with options); a session bound to a connection keeps to that connection.
    return bind.pool if isinstance(bind, Engine) else bind
