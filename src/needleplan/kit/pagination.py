"""Cursor pagination: keyset on unique, sortable columns, with opaque base64url cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Integer, bindparam, literal, tuple_
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

_NOT_OURS = "The cursor is not one this API produced."


def encode_cursor(values: list[str]) -> str:
    raw = json.dumps({"after": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = data["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise MalformedRequest(_NOT_OURS) from exc
    if not (
        isinstance(values, list)
        and len(values) == width
        and all(isinstance(v, str) for v in values)
    ):
        raise MalformedRequest(_NOT_OURS)
    return values


def _as_text(value: object) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _from_text(column: Any, text: str) -> object:
    python_type = column.type.python_type
    if python_type in (date, datetime):
        try:
            value = python_type.fromisoformat(text)
        except ValueError as exc:
            raise MalformedRequest(_NOT_OURS) from exc
        if isinstance(value, datetime) and value.tzinfo is None:
            raise MalformedRequest(_NOT_OURS)  # this API only ever writes aware instants
        return value
    return text


def keyset_statement(
    statement: Any, *keys: Any, with_cursor: bool, descending: bool = False
) -> Any:
    """``statement`` as one page's statement, to build once and run with
    ``keyset_parameters``: ordered by ``keys`` (together unique), limited by the bound
    ``page_limit`` and, ``with_cursor``, after the bound ``after_0``, ``after_1``, ... A
    statement built once keeps its compiled form: building one per request cost more than
    running it."""
    if with_cursor:
        after = [bindparam(f"after_{i}", type_=key.type) for i, key in enumerate(keys)]
        left = keys[0] if len(keys) == 1 else tuple_(*keys)
        right = after[0] if len(keys) == 1 else tuple_(*after)
        statement = statement.where(left < right if descending else left > right)
    order = [k.desc() for k in keys] if descending else list(keys)
    return statement.order_by(*order).limit(bindparam("page_limit", type_=Integer))


def keyset_parameters(*keys: Any, limit: int, cursor: str | None) -> dict[str, Any]:
    """The bound values of a ``keyset_statement`` (with a cursor when ``cursor`` is given)."""
    parameters: dict[str, Any] = {"page_limit": limit + 1}
    if cursor is not None:
        for i, (key, value) in enumerate(zip(keys, decode_cursor(cursor, len(keys)), strict=True)):
            parameters[f"after_{i}"] = _from_text(key, value)
    return parameters


def keyset_rows(
    rows: list[Any], *keys: Any, limit: int, typed: Callable[[Any], Any] | None = None
) -> tuple[list[Any], str | None]:
    """A ``keyset_statement``'s rows as one page and the cursor of the next. ``typed``: what
    gives the keys' typed values of a row selected untyped."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1] if typed is None else typed(rows[-1])
    return rows, encode_cursor([_as_text(getattr(last, str(k.key))) for k in keys])


def keyset_page(
    db: Session,
    statement: SelectOfScalar[RowT],
    *keys: Any,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[RowT], str | None]:
    """One page ordered by ``keys`` (together unique) and the cursor of the next page."""
    if cursor is not None:
        after = [
            _from_text(k, v) for k, v in zip(keys, decode_cursor(cursor, len(keys)), strict=True)
        ]
        left = keys[0] if len(keys) == 1 else tuple_(*keys)
        # Bind each value with its column's type (UTC instants are stored as text on SQLite).
        right = (
            after[0]
            if len(keys) == 1
            else tuple_(*(literal(v, k.type) for k, v in zip(keys, after, strict=True)))
        )
        statement = statement.where(left < right if descending else left > right)
    order = [k.desc() for k in keys] if descending else list(keys)
    paged = statement.order_by(*order).limit(limit + 1)
    rows: list[Any] = list(db.exec(paged).all())
    return keyset_rows(rows, *keys, limit=limit)
