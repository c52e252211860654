"""The small generic persistence layer shared by the catalogue-style domains."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, select

from needleplan.kit.time import utc_now
from needleplan.problems import NotFound, ValidationFailed, field_error

RowT = TypeVar("RowT", bound=SQLModel)


class Versioned(Protocol):
    """A row with a version (its ETag) and the instant of its last change."""

    version: int
    updated_at: datetime | None


def get_or_404(
    db: Session, model: type[RowT], key: str, *, what: str, for_update: bool = False
) -> RowT:
    """Load one row by primary key. ``for_update`` locks it on PostgreSQL so a version check and
    the write that follows are atomic; SQLite write transactions are already serialised."""
    if for_update:
        statement = select(model).where(_primary_key(model) == key).with_for_update()
        row = db.exec(statement).first()
    else:
        row = db.get(model, key)
    if row is None:
        raise NotFound(f"No {what} has id {key!r}.")
    return row


def apply_changes(row: Versioned, changes: dict[str, Any]) -> None:
    """Merge-patch ``changes`` into a versioned row and bump its version."""
    for name, value in changes.items():
        setattr(row, name, value)
    bump_version(row)


def bump_version(row: Versioned) -> None:
    """The one way a versioned row records a change: its version (its ETag) goes up by one and
    ``updated_at`` is now."""
    row.version += 1
    row.updated_at = utc_now()


def _primary_key(model: type[SQLModel]) -> Any:
    return sa_inspect(model).primary_key[0]


def require_reference(db: Session, model: type[RowT], key: str, *, field: str, what: str) -> RowT:
    """A body field that names another resource: an unknown id is a 422 naming the field."""
    row = db.get(model, key)
    if row is None:
        raise ValidationFailed(
            f"{field}: no {what} has id {key!r}.",
            [field_error("body", field, f"No {what} has this id.", "unknown_reference")],
        )
    # Kept in the identity map (which holds rows weakly) until the session closes, so a later
    # read of the row in the same request costs no statement (a booking's eligibility reads
    # the client's birth date: screening.repository.client_records).
    db.info.setdefault(_REFERENCED, []).append(row)
    return row


_REFERENCED = "needleplan.referenced_rows"
