"""Engine, metadata, the UTC column type and the per-request transaction.

The persistence style lives here so it can differ per database: a short-lived sync ``Session``
used from ``async def`` endpoints was the fastest measured on SQLite
(docs/performance.md#persistence-style).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from needleplan.config import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


READ_INSTANTS_KEPT = 16_384  # about 3 MB, shared by every instant column
_SQLITE_DATETIME: Callable[[Any], datetime] = sqlite.DATETIME().result_processor(  # type: ignore[no-untyped-call, assignment]
    sqlite.dialect(), None
)


@functools.lru_cache(maxsize=READ_INSTANTS_KEPT)
def _instant_from_sqlite_text(value: str | None) -> datetime | None:
    """An instant stored as SQLite text (``UTCDateTime``), read aware."""
    if value is None:
        return None
    try:
        read = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        read = _SQLITE_DATETIME(value)  # what fromisoformat cannot read, read SQLAlchemy's way
    if read.tzinfo is None:
        return read.replace(tzinfo=UTC)
    return read.astimezone(UTC)


def _instant_to_sqlite_text(value: datetime | None) -> str | None:
    """An aware instant as the text SQLite stores (``UTCDateTime``): naive UTC in SQLAlchemy's
    ``DATETIME`` format, ``YYYY-MM-DD HH:MM:SS.ffffff``, which also sorts in time order."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetimes cannot be stored")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC on every database and always read back time-zone aware.

    SQLite has no time-zone type: values are stored as naive UTC text, which also sorts
    correctly. A naive value can never be written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes cannot be stored")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, an instant straight to its stored text in one call per value:
        ``process_bind_param`` and then SQLAlchemy's writer are two, and a booking binds about
        thirty instants (tests/app/test_instants.py checks the text is SQLAlchemy's)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _instant_to_sqlite_text

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, the stored text straight to an aware instant, in one call per value:
        SQLAlchemy's reader and then ``process_result_value`` are two, and a page of 50
        sessions reads 200 instants. Text ``fromisoformat`` cannot read takes SQLAlchemy's
        way. The instants of the sessions read recur from one read to the next (a day polled,
        a page read again), and a datetime is immutable: the last ``READ_INSTANTS_KEPT`` texts
        read are kept with their instant, a lookup costing a tenth of a parse."""
        standard = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or standard is None:
            return standard
        return _instant_from_sqlite_text


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front: a WAL reader that upgrades to a
        # writer later fails with "database is locked" instead of waiting.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=5,
        # Fail fast while the database is down: the request answers 503, it never hangs.
        connect_args={"connect_timeout": 3},
        hide_parameters=True,
    )


PreCommitStep = Callable[[Session, list[Any]], None]
_PRE_COMMIT = "needleplan.pre_commit"


def queue_for_commit(
    db: Session, step: PreCommitStep, items: Iterable[Any], *, first: bool = False
) -> None:
    """Queue ``items`` for ``step``, which the owner of ``db``'s transaction runs just before it
    commits (``commit`` below), once, with everything queued for it in the order queued. Steps
    run in the order first queued; ``first`` runs this one before every other (a step whose
    writes the others read)."""
    queues: dict[PreCommitStep, list[Any]] = db.info.setdefault(_PRE_COMMIT, {})
    queues.setdefault(step, []).extend(items)
    if first and next(iter(queues)) is not step:
        db.info[_PRE_COMMIT] = {step: queues.pop(step), **queues}


def queued(db: Session, step: PreCommitStep) -> list[Any]:
    """What is queued for ``step`` in ``db``'s transaction and not yet written."""
    return list(db.info.get(_PRE_COMMIT, {}).get(step, []))


def commit(db: Session) -> None:
    """Run the transaction's pre-commit steps, then commit. Every owner of a transaction commits
    through here (``Database.transaction`` does): nothing runs the steps behind its back."""
    queues: dict[PreCommitStep, list[Any]] = db.info.pop(_PRE_COMMIT, {})
    for step, items in queues.items():
        if items:
            step(db, items)
    db.commit()


def rollback(db: Session) -> None:
    """Roll back, and drop what was queued for a commit that will not happen."""
    db.info.pop(_PRE_COMMIT, None)
    db.rollback()


_SETTINGS = "needleplan.settings"


def settings_of(db: Session) -> Settings:
    """The settings of whoever owns ``db``'s transaction (the app's, the worker's), for the work
    done on its behalf where no caller hands them down: the pre-commit steps (events rendered,
    webhook deliveries scheduled). A transaction no owner stamped runs under the environment's."""
    stamped: Settings | None = db.info.get(_SETTINGS)
    return stamped if stamped is not None else get_settings()


class Database:
    """Hands out sessions. Tests subclass it to bind sessions to a rolled-back connection.

    ``settings``: the deployment's settings, which every transaction of this database carries
    (``settings_of``); ``create_app`` gives the app's to the database it serves."""

    def __init__(
        self, url: str, engine: Engine | None = None, settings: Settings | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.engine = engine or make_engine(url)
        self._write_gate: asyncio.Lock | None = None
        self._write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if is_sqlite(url)
            else self.engine
        )

    @asynccontextmanager
    async def writer_turn(self, *, write: bool) -> AsyncIterator[None]:
        """On SQLite, one write transaction at a time per process, waited for without blocking.

        SQLite has one writer. A second write transaction in the same process would otherwise
        block the event loop inside ``BEGIN IMMEDIATE`` while the first, which holds the lock,
        waits for that same loop to continue. This gate only schedules; the database file's lock
        still serialises writers across processes.
        """
        if not (write and is_sqlite(self.url)):
            yield
            return
        if self._write_gate is None:
            self._write_gate = asyncio.Lock()
        async with self._write_gate:
            yield

    def session(self, *, write: bool) -> Session:
        return Session(bind=self._write_engine if write else self.engine, expire_on_commit=False)

    @property
    def serialises_writes(self) -> bool:
        """SQLite: a write transaction begins ``IMMEDIATE`` on a session of its own, after
        ``writer_turn``; a read session cannot become one. Elsewhere every session can write."""
        return is_sqlite(self.url)

    @contextmanager
    def transaction(self, *, write: bool = True, adopt: Session | None = None) -> Iterator[Session]:
        """One unit of work: run the pre-commit steps and commit on success, roll back on any
        exception. ``adopt`` continues the transaction a session already began (the request's,
        begun by authentication) instead of opening one; it is closed at the end all the same."""
        with adopt if adopt is not None else self.session(write=write) as db:
            if self.settings is not None:
                db.info[_SETTINGS] = self.settings
            try:
                yield db
                commit(db)
            except BaseException:
                rollback(db)
                raise

    def dispose(self) -> None:
        self.engine.dispose()
