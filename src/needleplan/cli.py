"""The ``needleplan`` command line.

Every command that uses the database takes ``--database-url`` (default: NEEDLEPLAN_DATABASE_URL).
Exit codes: 0 done; 1 the command failed (an unknown key id); 2 a usage error, or a database that
is missing, not migrated or newer than this version; 3 the database is unreachable or failed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from needleplan import __version__
from needleplan.auth.roles import Role
from needleplan.config import Settings, get_settings
from needleplan.db import Database

app = typer.Typer(help="needleplan: the treatment-plan calendar API.", no_args_is_help=True)

EXIT_FAILED = 1
EXIT_DATABASE_NOT_READY = 2
EXIT_DATABASE_UNREACHABLE = 3

DATABASE_URL_ENV = "NEEDLEPLAN_DATABASE_URL"
DEFAULT_DATABASE_URL: str = Settings.model_fields["database_url"].default

DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_ENV,
        show_envvar=True,
        help="SQLAlchemy URL of the database: sqlite:///path.db or "
        "postgresql+psycopg://user@host:5432/db.",
    ),
]


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"needleplan {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """needleplan: the treatment-plan calendar API."""


# The database: one line on stderr and a distinct exit code, never a traceback.


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=code)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        # Not echoed: a mistyped URL may still hold a password.
        _fail(
            f"--database-url ({DATABASE_URL_ENV}) is not a database URL: expected "
            "sqlite:///path.db or postgresql+psycopg://user@host:5432/db",
            EXIT_DATABASE_NOT_READY,
        )


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory or URI-style database."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    return Path(url.database)


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _not_migrated(shown: str) -> NoReturn:
    _fail(
        f"the database at {shown} is not migrated: run `needleplan migrate`",
        EXIT_DATABASE_NOT_READY,
    )


def _unreachable(shown: str, exc: BaseException) -> NoReturn:
    reason = _reason(exc)
    if re.search(r'database ".*" does not exist', reason):  # PostgreSQL, before createdb
        _fail(
            f"the database at {shown} does not exist: create it (createdb), "
            "then run `needleplan migrate`",
            EXIT_DATABASE_NOT_READY,
        )
    if not isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        # e.g. a SQLite path that names some other file: retrying will not help.
        _fail(f"the database at {shown} is not usable: {reason}", EXIT_DATABASE_NOT_READY)
    _fail(f"the database at {shown} is unreachable: {reason}", EXIT_DATABASE_UNREACHABLE)


def _require_head(database: Database, shown: str) -> None:
    from needleplan.migrations import database_revision, head_revision, is_known_revision

    with database.engine.connect() as connection:
        current = database_revision(connection)
    head = head_revision(database.url)
    if current == head:
        return
    if current is not None and not is_known_revision(database.url, current):
        _fail(
            f"the database at {shown} is at revision {current}, which this needleplan "
            f"({__version__}, head {head}) does not know: run the newer needleplan",
            EXIT_DATABASE_NOT_READY,
        )
    _not_migrated(shown)


@contextmanager
def _open(url: str, *, migrated: bool = True) -> Iterator[Database]:
    """The database at ``url``, checked to be at the head migration unless ``migrated=False``.

    A SQLite file that does not exist is reported without connecting: connecting would create it.
    """
    parsed = _parse(url)
    shown = parsed.render_as_string(hide_password=True)
    if migrated:
        path = _sqlite_file(parsed)
        if path is not None and not path.is_file():
            _not_migrated(shown)
    try:
        database = Database(url)
    except (NoSuchModuleError, ImportError):
        _fail(
            f"no database driver for {shown}: use sqlite:/// or postgresql+psycopg://",
            EXIT_DATABASE_NOT_READY,
        )
    try:
        if migrated:
            try:
                _require_head(database, shown)
            except DBAPIError as exc:  # also "file is not a database"
                _unreachable(shown, exc)
        yield database
    except (OperationalError, InterfaceError, PoolTimeoutError) as exc:
        _unreachable(shown, exc)
    finally:
        database.dispose()


# Commands.


def _uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging, plus needleplan's loggers (the access log) in every worker."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["needleplan"] = {
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s"
    }
    config["handlers"]["needleplan"] = {
        "class": "logging.StreamHandler",
        "formatter": "needleplan",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["needleplan"] = {
        "handlers": ["needleplan"],
        "level": level,
        "propagate": False,
    }
    return config


@app.command()
def serve(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Interface to bind (0.0.0.0: every interface).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Worker processes (share one PostgreSQL; on SQLite writes serialise)."
        ),
    ] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Trust X-Forwarded-For/-Proto from the addresses in --forwarded-allow-ips."
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            envvar="FORWARDED_ALLOW_IPS",
            show_envvar=True,
            help="Comma-separated proxy addresses (or *) whose forwarded headers are trusted; "
            "uvicorn's default is 127.0.0.1.",
        ),
    ] = None,
    root_path: Annotated[
        str,
        typer.Option(help="The path prefix a reverse proxy serves the API under, e.g. /api."),
    ] = "",
    log_level: Annotated[
        LogLevel,
        typer.Option(
            envvar="NEEDLEPLAN_LOG_LEVEL",
            show_envvar=True,
            case_sensitive=False,
            help="Log level of the server and the access log.",
        ),
    ] = LogLevel.INFO,
    worker: Annotated[
        bool,
        typer.Option(
            help="Also run a worker in this process: webhook deliveries and due care notices "
            "(--no-worker: run `needleplan worker` separately, or deliver neither)."
        ),
    ] = True,
) -> None:
    """Serve the API with uvicorn (uvloop + httptools). Refuses a database that is not migrated.

    By default a worker (webhook deliveries, due care notices) runs alongside, in this process.
    With several workers on Linux each listens on a socket of its own (SO_REUSEPORT), so the
    kernel spreads connections over them (kit/serving.py)."""
    from needleplan.kit import serving

    with _open(database_url):
        pass
    # The worker processes read their settings from the environment.
    os.environ[DATABASE_URL_ENV] = database_url
    os.environ["NEEDLEPLAN_LOG_LEVEL"] = log_level.value
    get_settings.cache_clear()
    try:
        get_settings()
    except ValidationError as exc:
        errors = "; ".join(
            f"NEEDLEPLAN_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        _fail(f"invalid settings: {errors}", EXIT_DATABASE_NOT_READY)
    # Before any worker imports prometheus_client: the workers' metrics add up in this
    # directory (PROMETHEUS_MULTIPROC_DIR if set, emptied now; else a temporary one).
    from needleplan.metrics import multiprocess

    metrics_directory = multiprocess.prepare()
    stop_worker = _start_worker(database_url) if worker else None
    try:
        serving.serve(
            "needleplan.asgi:app",
            host=host,
            port=port,
            workers=workers,
            # uvicorn's access log prints query strings, which may hold patient names.
            access_log=False,
            log_config=_uvicorn_log_config(log_level.value),
            log_level=log_level.value.lower(),
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            root_path=root_path,
        )
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILED)
    finally:
        if stop_worker is not None:
            stop_worker.set()
        metrics_directory.cleanup()


def _start_worker(database_url: str, lanes: int = 4) -> threading.Event:
    """Webhook delivery lanes and the due-notice lane (notices/emitter.py) in threads of this
    process; set the event to stop them."""
    from needleplan.notices import emitter
    from needleplan.webhooks import worker

    stop = threading.Event()
    settings = get_settings()
    worker.start(Database(database_url, settings=settings), settings, stop, lanes)
    emitter.start(Database(database_url, settings=settings), settings, stop)
    return stop


@app.command("worker")
def run_worker(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lanes: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Deliveries in flight at once (a slow endpoint holds one)."
        ),
    ] = 4,
) -> None:
    """Deliver webhooks and emit due care notices until interrupted (SIGINT or SIGTERM).

    Any number of workers may run on PostgreSQL (each claims with FOR UPDATE SKIP LOCKED); on
    SQLite run one. A worker killed mid-delivery loses nothing: the delivery is claimed again
    once its lease ends and sent with the same webhook-id. A due care notice is emitted once
    (session.notice_due), in the transaction that marks it emitted.
    """
    with _open(database_url):
        pass
    stop = _start_worker(database_url, lanes)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo(f"delivering webhooks with {lanes} lanes, emitting due care notices")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        stop.set()


@app.command()
def migrate(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Migrate the database to head (a SQLite file is created) and install the catalogues.

    The shipped treatment areas and screening conditions are installed only where the
    catalogues are empty. Safe to run again.
    """
    from alembic.util import CommandError

    from needleplan.migrations import migrate as run_migrations

    with _open(database_url, migrated=False) as database:
        try:
            run_migrations(database)
        except CommandError as exc:
            # e.g. the database is at a revision of a newer release.
            _fail(f"cannot migrate: {_reason(exc)}", EXIT_DATABASE_NOT_READY)
    typer.echo("database migrated to head")


@app.command("seed-demo")
def seed_demo(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Add the demo location, rooms, providers and clients, and print a demo admin key."""
    from needleplan.demo import seed_demo_data

    with _open(database_url) as database, database.transaction() as db:
        seeded = seed_demo_data(db)
    typer.echo(seeded.summary)
    for client_id, who in seeded.clients:
        typer.echo(f"demo client {client_id}: {who.first_name} {who.last_name}, {who.what}")
    typer.echo("Demo admin API key (shown once):")
    typer.echo(seeded.secret)


@app.command("create-api-key")
def create_api_key(
    role: Annotated[Role, typer.Option(help="The key's role.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""
    from needleplan.auth.service import create_api_key as create

    with _open(database_url) as database, database.transaction() as db:
        row, new_key = create(db, name=name, role=role)
    typer.echo(
        f"created API key {row.id} ({role.value}, {name}); store it now, it is not shown again:"
    )
    typer.echo(new_key.secret)


@app.command("revoke-api-key")
def revoke_api_key(
    key_id: Annotated[str, typer.Argument(help="The id of the key to revoke.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Revoke an API key: it stops working at once, in every process."""
    from needleplan.auth.service import revoke_api_key as revoke
    from needleplan.problems import NotFound

    with _open(database_url) as database:
        try:
            with database.transaction() as db:
                revoke(db, key_id)
        except NotFound as exc:
            _fail(exc.detail, EXIT_FAILED)
    typer.echo(f"revoked API key {key_id}")


def _instant(value: datetime | None, missing: str) -> str:
    if value is None:
        return missing
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _printable(text: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


@app.command("list-api-keys")
def list_api_keys(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """List the API keys, oldest first (never the keys themselves).

    Columns: id, role, name, created, last used (to the minute; "never") and revoked ("-": not
    revoked). Times are UTC.
    """
    from needleplan.auth.repository import keys_oldest_first

    with _open(database_url) as database, database.transaction(write=False) as db:
        keys = keys_oldest_first(db)
        rows = [
            [
                key.id,
                key.role,
                _printable(key.name),
                _instant(key.created_at, "-"),
                _instant(key.last_used_at, "never"),
                _instant(key.revoked_at, "-"),
            ]
            for key in keys
        ]
    for line in _table(["id", "role", "name", "created", "last used", "revoked"], rows):
        typer.echo(line)


@app.command()
def purge(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Delete expired idempotency records, the busy blocks of expired holds and the events
    older than NEEDLEPLAN_EVENT_RETENTION_DAYS (run it daily)."""
    from needleplan.config import get_settings
    from needleplan.ops.housekeeping import purge_expired

    retention = get_settings().event_retention_days
    with _open(database_url) as database, database.transaction() as db:
        purged = purge_expired(db, event_retention_days=retention)
    typer.echo(
        f"purged {purged.idempotency_records} idempotency records, "
        f"{purged.hold_blocks} expired hold blocks and {purged.events} events"
    )


@app.command("rebuild-busy-days")
def rebuild_busy_days(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Recompute the busy-day summary from the busy blocks (after editing blocks by hand)."""
    from needleplan.sessions.busy_days import rebuild

    with _open(database_url) as database, database.transaction() as db:
        rows = rebuild(db)
    typer.echo(f"rebuilt {rows} busy-day rows from the session blocks")


@app.command("rebuild-eligibility-summaries")
def rebuild_eligibility_summaries(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Rewrite every client's eligibility summary from their screenings, retractions and
    overrides (after writing those by hand, or after an older version wrote them)."""
    from needleplan.screening.summaries import rebuild_all

    with _open(database_url) as database, database.transaction() as db:
        clients = rebuild_all(db)
    typer.echo(f"rebuilt the eligibility summaries of {clients} clients")


@app.command()
def openapi(
    output: Annotated[Path, typer.Argument(help="File to write the OpenAPI document to.")] = Path(
        "openapi.json"
    ),
) -> None:
    """Write the OpenAPI document to a file (no database needed)."""
    from needleplan.main import create_app

    document = create_app().openapi()
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {output}")


if __name__ == "__main__":
    app()
