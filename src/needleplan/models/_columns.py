"""Column helpers shared by the table modules."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Enum
from sqlmodel import Field

from needleplan.db import UTCDateTime
from needleplan.kit.ids import new_id
from needleplan.kit.time import utc_now


def id_field() -> Any:
    return Field(default_factory=new_id, primary_key=True, max_length=36)


def instant_field(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def created_at_field() -> Any:
    return Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))


def status_field(
    statuses: type[StrEnum],
    *,
    index: bool = False,
    default: StrEnum | None = None,
    server_default: str | None = None,
) -> Any:
    """A status column holding ``statuses``: a VARCHAR(20) of the members' values (no database
    enum type, no CHECK), read back as the members. ``server_default`` fills the rows a migration
    finds when it adds the column."""
    column_type = Enum(
        statuses,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
    column: Column[Any] = Column(
        column_type, nullable=False, index=index, server_default=server_default
    )
    if default is None:
        return Field(sa_column=column)
    return Field(default=default, sa_column=column)


def codes_field() -> Any:
    """A JSON list of catalogue codes, empty by default (also for rows a migration finds)."""
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


def version_field() -> Any:
    return Field(default=1, nullable=False)


__all__ = [
    "codes_field",
    "created_at_field",
    "id_field",
    "instant_field",
    "status_field",
    "version_field",
]
