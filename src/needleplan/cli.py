"""The ``needleplan`` command line. Every command honours NEEDLEPLAN_DATABASE_URL."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from needleplan.auth.roles import Role
from needleplan.config import get_settings
from needleplan.db import Database

app = typer.Typer(help="needleplan: the treatment-plan calendar API.", no_args_is_help=True)


def _database() -> Database:
    return Database(get_settings().database_url)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn (uvloop + httptools)."""
    import uvicorn

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(
        "needleplan.asgi:app",
        host=host,
        port=port,
        workers=workers,
        # uvicorn's access log prints query strings, which may hold patient names.
        access_log=False,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


@app.command()
def migrate() -> None:
    """Apply the database migrations and install the shipped catalogues when they are empty."""
    from needleplan.migrations import migrate as run_migrations

    database = _database()
    run_migrations(database)
    database.dispose()
    typer.echo("database migrated to head")


@app.command("seed-demo")
def seed_demo() -> None:
    """Add the demo location, rooms, providers and clients, and print a demo admin key."""
    from needleplan.demo import seed_demo_data

    database = _database()
    with database.transaction() as db:
        seeded = seed_demo_data(db)
    database.dispose()
    typer.echo(seeded.summary)
    for client_id, who in seeded.clients:
        typer.echo(f"demo client {client_id}: {who.first_name} {who.last_name}, {who.what}")
    typer.echo("Demo admin API key (shown once):")
    typer.echo(seeded.secret)


@app.command("create-api-key")
def create_api_key(
    role: Annotated[Role, typer.Option(help="The key's role.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""
    from needleplan.audit.service import record
    from needleplan.auth.service import CLI_CALLER
    from needleplan.auth.service import create_api_key as create

    database = _database()
    with database.transaction() as db:
        row, new_key = create(db, name=name, role=role)
        record(db, CLI_CALLER, "create", "api_key", row.id)
    database.dispose()
    typer.echo(
        f"created API key {row.id} ({role.value}, {name}); store it now, it is not shown again:"
    )
    typer.echo(new_key.secret)


@app.command("revoke-api-key")
def revoke_api_key(
    key_id: Annotated[str, typer.Argument(help="The id of the key to revoke.")],
) -> None:
    """Revoke an API key: it stops working at once, in every process."""
    from needleplan.audit.service import record
    from needleplan.auth.service import CLI_CALLER
    from needleplan.auth.service import revoke_api_key as revoke
    from needleplan.problems import NotFound

    database = _database()
    try:
        with database.transaction() as db:
            revoke(db, key_id)
            record(db, CLI_CALLER, "revoke", "api_key", key_id)
    except NotFound as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=1) from exc
    finally:
        database.dispose()
    typer.echo(f"revoked API key {key_id}")


@app.command()
def purge() -> None:
    """Delete expired idempotency records and the busy blocks of expired holds (run it daily)."""
    from needleplan.ops.housekeeping import purge_expired

    database = _database()
    with database.transaction() as db:
        purged = purge_expired(db)
    database.dispose()
    typer.echo(
        f"purged {purged.idempotency_records} idempotency records and "
        f"{purged.hold_blocks} expired hold blocks"
    )


@app.command("rebuild-busy-days")
def rebuild_busy_days() -> None:
    """Recompute the busy-day summary from the busy blocks (after editing blocks by hand)."""
    from needleplan.sessions.busy_days import rebuild

    database = _database()
    with database.transaction() as db:
        rows = rebuild(db)
    database.dispose()
    typer.echo(f"rebuilt {rows} busy-day rows from the session blocks")


@app.command()
def openapi(
    output: Annotated[Path, typer.Argument(help="File to write the OpenAPI document to.")] = Path(
        "openapi.json"
    ),
) -> None:
    """Write the OpenAPI document to a file."""
    from needleplan.main import create_app

    document = create_app().openapi()
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {output}")


if __name__ == "__main__":
    app()
