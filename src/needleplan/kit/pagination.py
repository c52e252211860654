"""Cursor pagination: keyset on the primary key (time-ordered ids), opaque base64url cursors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel
from sqlmodel.sql.expression import SelectOfScalar

from needleplan.problems import MalformedRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–200.")]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=200, description="`next_cursor` of the previous page; omit for the first page."
    ),
]

RowT = TypeVar("RowT", bound=SQLModel)


def encode_cursor(last_key: str) -> str:
    raw = json.dumps({"after": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise MalformedRequest("The cursor is not one this API produced.") from exc
    if not isinstance(after, str):
        raise MalformedRequest("The cursor is not one this API produced.")
    return after


def keyset_page(
    db: Session,
    statement: SelectOfScalar[RowT],
    key: Any,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[RowT], str | None]:
    """One page ordered by ``key`` (a unique, sortable column) and the cursor of the next page."""
    column: ColumnElement[Any] = key
    if cursor is not None:
        statement = statement.where(column > decode_cursor(cursor))
    rows = list(db.exec(statement.order_by(column).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    attribute = str(column.key)
    return rows, encode_cursor(str(getattr(rows[-1], attribute)))
