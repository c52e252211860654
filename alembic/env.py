"""Alembic environment: needleplan's metadata, the URL from settings, batch mode on SQLite."""

from __future__ import annotations

from logging.config import fileConfig

from sqlalchemy import Connection

import needleplan.models  # noqa: F401  (registers every table on the metadata)
from alembic import context
from needleplan.config import get_settings
from needleplan.db import UTCDateTime, make_engine, metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import needleplan.db")  # type: ignore[attr-defined]
        return "needleplan.db.UTCDateTime()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("needleplan migrations run online only: use `needleplan migrate`.")
run_migrations_online()
