"""Schema migrations (Alembic is the only way the schema is made) and catalogue installation."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from alembic import command
from needleplan.db import Database


def _alembic_dir() -> Path:
    candidates = [
        Path(__file__).resolve().parents[2] / "alembic",  # a source checkout (editable install)
        Path.cwd() / "alembic",  # the container image copies it next to the working directory
    ]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the alembic/ migrations directory was not found")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_alembic_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def database_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_known_revision(url: str, revision: str) -> bool:
    """Whether ``revision`` is one of this version's migrations (not one of a newer release)."""
    try:
        return ScriptDirectory.from_config(alembic_config(url)).get_revision(revision) is not None
    except CommandError:
        return False


def migrate(database: Database) -> None:
    """Bring the schema to head, then install the shipped catalogues where they are empty."""
    command.upgrade(alembic_config(database.url), "head")
    from needleplan.course_templates.catalogue import install_default_templates
    from needleplan.devices.catalogue import install_default_devices
    from needleplan.notices.catalogue import install_default_notices
    from needleplan.screening.catalogue import install_default_conditions
    from needleplan.screening.summaries import summarise_missing
    from needleplan.treatment_areas.catalogue import install_default_areas

    with database.transaction() as db:
        install_default_areas(db)
        install_default_conditions(db)
        # Installing them schedules the notices of the sessions already booked (an upgrade).
        install_default_notices(db)
        install_default_templates(db)  # after the areas: templates name them
        # After the areas: a device's minutes name only areas the catalogue has.
        install_default_devices(db)
        # Clients from before eligibility summaries existed (issue 12), or written around the ORM.
        summarise_missing(db)
