"""Base classes for request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, so a client that sends ``ends_at`` learns at
    once that the end is derived."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omitted() -> Any:
    """Default of an optional PATCH field that may be left out but never set to null.

    Merge-patch updates apply only the fields that were sent; null is refused for a field that
    cannot be empty, so the schema shows the plain type and no default.
    """
    return Field(default=None, json_schema_extra=_drop_default)
