"""The operator's command line: --version, --database-url, list-api-keys, and one line with exit
code 2 (never a traceback, never a stray SQLite file) for a database that is not migrated.

Each test uses a fresh database: a SQLite file, or a PostgreSQL database when
NEEDLEPLAN_TEST_DATABASE_URL names a server (see conftest.create_database)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from sqlalchemy import make_url
from typer.testing import CliRunner, Result

from needleplan import __version__
from needleplan.auth.keys import digest_of
from needleplan.cli import app
from tests.conftest import create_database, drop_database, server_url
from tests.live_server import _wait_until_healthy, free_port, needleplan_command

ROOT = Path(__file__).resolve().parents[2]
DATABASE_COMMANDS = [
    ["seed-demo"],
    ["create-api-key", "--role", "admin", "--name", "ops"],
    ["revoke-api-key", "00000000-0000-7000-8000-000000000000"],
    ["list-api-keys"],
    ["purge"],
    ["rebuild-busy-days"],
    ["rebuild-eligibility-summaries"],
    ["serve", "--port", "1"],
]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    # Without an explicit URL the commands would read the developer's NEEDLEPLAN_DATABASE_URL.
    environment = {"NEEDLEPLAN_DATABASE_URL": "sqlite:////nonexistent/needleplan.db", **(env or {})}
    return CliRunner().invoke(app, list(args), env=environment)


def not_migrated_line(url: str) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    return f"the database at {shown} is not migrated: run `needleplan migrate`\n"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database (for SQLite: a file that does not exist yet)."""
    url = create_database(str(tmp_path))
    yield url
    drop_database(url)


@pytest.fixture
def migrated_url(fresh_url: str) -> str:
    result = run("migrate", "--database-url", fresh_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == "database migrated to head\n"
    return fresh_url


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"needleplan {__version__}\n"


def test_list_api_keys_shows_id_role_name_and_never_the_key(migrated_url: str) -> None:
    created = run(
        "create-api-key", "--role", "front_desk", "--name", "desk 1", "--database-url", migrated_url
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    key_id = created.stdout.split()[3]
    assert secret.startswith("np_")

    listed = run("list-api-keys", "--database-url", migrated_url)
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["id", "role", "name", "created", "last", "used", "revoked"]
    (row,) = [row for row in rows if row.startswith(key_id)]
    assert row.split() == [key_id, "front_desk", "desk", "1", row.split()[4], "never", "-"]
    assert secret not in listed.output
    assert digest_of(secret) not in listed.output

    revoked = run("revoke-api-key", key_id, "--database-url", migrated_url)
    assert revoked.exit_code == 0, revoked.output
    (row,) = [
        r
        for r in run("list-api-keys", "--database-url", migrated_url).stdout.splitlines()
        if r.startswith(key_id)
    ]
    assert row.split()[-1] != "-"


def test_the_environment_names_the_database_by_default(migrated_url: str) -> None:
    env = {"NEEDLEPLAN_DATABASE_URL": migrated_url}
    created = run("create-api-key", "--role", "admin", "--name", "from env", env=env)
    assert created.exit_code == 0, created.output
    assert "from env" in run("list-api-keys", env=env).stdout
    # --database-url wins over the environment.
    elsewhere = run("list-api-keys", "--database-url", "sqlite:////nonexistent/other.db", env=env)
    assert elsewhere.exit_code == 2
    assert "/nonexistent/other.db" in elsewhere.stderr


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=lambda c: c[0])
def test_a_missing_sqlite_file_is_one_line_exit_2_and_stays_missing(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "missing.db"
    url = f"sqlite:///{path}"
    result = run(*command, "--database-url", url)
    assert result.exit_code == 2, result.output
    assert result.stderr == not_migrated_line(url)
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert list(tmp_path.iterdir()) == []


def test_an_unmigrated_database_is_one_line_exit_2(fresh_url: str, tmp_path: Path) -> None:
    if server_url() is None:
        # An empty SQLite file: connecting to it is harmless, it has no schema.
        Path(make_url(fresh_url).database or "").touch()
    for command in DATABASE_COMMANDS:
        result = run(*command, "--database-url", fresh_url)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == not_migrated_line(fresh_url), command


def test_a_database_behind_the_head_must_be_migrated(migrated_url: str) -> None:
    from alembic import command
    from needleplan.migrations import alembic_config

    command.downgrade(alembic_config(migrated_url), "-1")
    result = run("list-api-keys", "--database-url", migrated_url)
    assert result.exit_code == 2
    assert result.stderr == not_migrated_line(migrated_url)
    assert run("migrate", "--database-url", migrated_url).exit_code == 0
    assert run("list-api-keys", "--database-url", migrated_url).exit_code == 0


def test_an_unreachable_database_is_one_line_exit_3_without_the_password() -> None:
    url = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none"
    for command in (["migrate"], ["list-api-keys"]):
        result = run(*command, "--database-url", url)
        assert result.exit_code == 3, result.output
        assert result.stderr.startswith(
            "the database at postgresql+psycopg://nobody:***@127.0.0.1:1/none is unreachable: "
        )
        assert result.stderr.count("\n") == 1
        assert "s3cret" not in result.output


def test_migrate_creates_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert run("migrate", "--database-url", f"sqlite:///{path}").exit_code == 0
    assert path.is_file()


def test_serve_documents_its_options() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    serve = commands["serve"]
    options = {opt: param for param in serve.params for opt in param.opts + param.secondary_opts}
    for name in (
        "--database-url",
        "--host",
        "--port",
        "--workers",
        "--proxy-headers",
        "--no-proxy-headers",
        "--forwarded-allow-ips",
        "--root-path",
        "--log-level",
    ):
        assert name in options, name
        assert getattr(options[name], "help", None), name
    for name, sub in commands.items():
        uses_database = name not in {"openapi"}
        assert any("--database-url" in p.opts for p in sub.params) == uses_database, name


def test_make_run_honours_host_and_port() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "HOST ?= 127.0.0.1" in makefile
    assert "PORT ?= 8000" in makefile
    assert "needleplan serve --host $(HOST) --port $(PORT)" in makefile


@pytest.mark.slow
def test_serve_passes_the_database_url_to_its_workers(migrated_url: str, tmp_path: Path) -> None:
    """The workers get --database-url, not the NEEDLEPLAN_DATABASE_URL the shell had."""
    created = run(
        "create-api-key", "--role", "admin", "--name", "served", "--database-url", migrated_url
    )
    secret = created.stdout.strip().splitlines()[-1]
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "NEEDLEPLAN_DATABASE_URL": "sqlite:////nonexistent/needleplan.db"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *needleplan_command(),
                "serve",
                "--database-url",
                migrated_url,
                "--port",
                str(port),
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, log_path)
        assert httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200
        response = httpx.get(
            f"{base_url}/v1/api-keys", headers={"Authorization": f"Bearer {secret}"}, timeout=5
        )
        assert response.status_code == 200, response.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    (row,) = [
        r
        for r in run("list-api-keys", "--database-url", migrated_url).stdout.splitlines()
        if " served " in r
    ]
    assert "never" not in row
    # --log-level warning: no access log lines.
    assert "needleplan.access" not in log_path.read_text()


def test_rebuild_eligibility_summaries_repairs_a_summary_edited_by_hand(migrated_url: str) -> None:
    from datetime import date

    from sqlalchemy import select, update

    from needleplan.db import Database
    from needleplan.models import Client, EligibilitySummary, Screening
    from needleplan.screening.repository import records_from_sources
    from needleplan.screening.summaries import follow

    database = Database(migrated_url)
    try:
        with database.transaction() as db:
            person = Client(first_name="Ada", last_name="Test", date_of_birth=date(1990, 1, 1))
            db.add(person)
            db.flush()
            db.add(
                Screening(
                    client_id=person.id, screened_on=date(2026, 11, 1), conditions=["pregnancy"]
                )
            )
            db.flush()
            follow(db, person.id)
        with database.transaction() as db:  # a screening lost from the summary, by hand
            db.execute(
                update(EligibilitySummary).values(
                    facts={"screenings": [], "retractions": [], "overrides": []}
                )
            )
        result = run("rebuild-eligibility-summaries", "--database-url", migrated_url)
        assert result.exit_code == 0, result.output
        assert result.stdout == "rebuilt the eligibility summaries of 1 clients\n"
        with database.transaction(write=False) as db:
            facts = db.execute(select(EligibilitySummary.facts)).scalar_one()  # type: ignore[call-overload]
            record = records_from_sources(db, {person.id: date(1990, 1, 1)})[person.id]
        assert [s[3] for s in facts["screenings"]] == [["pregnancy"]]
        assert [sorted(s.conditions) for s in record.screenings] == [["pregnancy"]]
    finally:
        database.dispose()
