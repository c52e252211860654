"""Shared fixtures: a real, migrated database (SQLite file, or PostgreSQL when
NEEDLEPLAN_TEST_DATABASE_URL names a server) and an app whose every test is rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, make_url, text
from sqlmodel import Session

from needleplan.auth.roles import Role
from needleplan.auth.service import create_api_key
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.main import create_app
from needleplan.migrations import migrate
from tests.busy_day_check import summary_mismatches

if TYPE_CHECKING:
    from tests.live_server import LiveServer

SERVER_URL_ENV = "NEEDLEPLAN_TEST_DATABASE_URL"


def server_url() -> str | None:
    return os.environ.get(SERVER_URL_ENV) or None


def create_database(tmp_dir: str) -> str:
    """A new, empty database: a SQLite file, or a fresh PostgreSQL database on the test server."""
    admin_url = server_url()
    if admin_url is None:
        return f"sqlite:///{tmp_dir}/needleplan-{uuid.uuid4().hex[:8]}.db"
    name = f"needleplan_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - CI must fail, never skip, without PostgreSQL
        pytest.fail(f"PostgreSQL at {SERVER_URL_ENV} is unreachable: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin_url = server_url()
    if admin_url is None:
        return
    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = create_database(str(tmp_path_factory.mktemp("db")))
    database = Database(url)
    migrate(database)
    yield database
    database.dispose()
    drop_database(url)


class RollbackDatabase(Database):
    """Every session joins one outer transaction that the test rolls back: the app's commits
    release savepoints, so each test starts from the freshly migrated state."""

    def __init__(self, url: str, connection: Connection) -> None:
        super().__init__(url, engine=connection.engine)
        self.connection = connection

    def session(self, *, write: bool) -> Session:
        return Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )


@pytest.fixture
def database(migrated_database: Database) -> Iterator[RollbackDatabase]:
    connection = migrated_database.engine.connect()
    outer = connection.begin()
    yield RollbackDatabase(migrated_database.url, connection)
    # Whatever the test booked, moved or cancelled, the summary must still match the blocks.
    mismatches = summary_mismatches(connection)
    outer.rollback()
    assert not mismatches, f"busy_days disagrees with busy_blocks at {mismatches}"
    connection.close()


@pytest.fixture
def settings(migrated_database: Database) -> Settings:
    return Settings(database_url=migrated_database.url)


@pytest.fixture
def app(settings: Settings, database: RollbackDatabase) -> FastAPI:
    return create_app(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


Headers = dict[str, str]


@pytest.fixture
def key_for(database: RollbackDatabase) -> Callable[[Role], Headers]:
    def make(role: Role) -> Headers:
        with database.transaction() as db:
            _, new_key = create_api_key(db, name=f"test {role.value}", role=role)
        return {"Authorization": f"Bearer {new_key.secret}"}

    return make


@pytest.fixture
def admin(key_for: Callable[[Role], Headers]) -> Headers:
    return key_for(Role.admin)


@pytest.fixture
def clinician(key_for: Callable[[Role], Headers]) -> Headers:
    return key_for(Role.clinician)


@pytest.fixture
def front_desk(key_for: Callable[[Role], Headers]) -> Headers:
    return key_for(Role.front_desk)


@pytest.fixture
def integration(key_for: Callable[[Role], Headers]) -> Headers:
    return key_for(Role.integration)


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A real ``needleplan serve`` process on its own fresh database, one per test module.

    One worker by default. A module picks another count with ``LIVE_SERVER_WORKERS = 4``, or a
    test with ``@pytest.mark.parametrize("live_server", [2], indirect=True)``.
    """
    from tests.live_server import running_server  # imports this module: keep it lazy

    workers = int(getattr(request, "param", getattr(request.module, "LIVE_SERVER_WORKERS", 1)))
    with running_server(tmp_path_factory.mktemp("live"), workers=workers) as server:
        yield server
