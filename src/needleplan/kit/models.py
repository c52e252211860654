"""Base classes for request and response bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import partial
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StrictBool,
)
from pydantic_core import PydanticCustomError, core_schema

from needleplan.kit.time import is_timestamp


def _text_pattern(min_length: int) -> str:
    """No NUL character, and at least ``min_length`` characters once surrounding whitespace is
    stripped."""
    if min_length < 1:
        return r"^[^\x00]*$"
    if min_length == 1:
        return rf"^[^\x00]*[^{_SPACE}\x00][^\x00]*$"
    return rf"^[{_SPACE}]*[^{_SPACE}\x00][^\x00]{{{min_length - 2},}}[^{_SPACE}\x00][{_SPACE}]*$"


# Exactly what Python's str.strip() removes (str.isspace). ECMAScript's \s differs: it lacks
# U+001C-U+001F and U+0085 and adds U+FEFF, so the document spells the class out.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _document_text(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        schema["pattern"] = _text_pattern(schema.get("minLength", 0))
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            _document_text(branch)
    if isinstance(schema.get("items"), dict):
        _document_text(schema["items"])


def _request_json_schema(schema: dict[str, Any], cls: type[Any]) -> None:
    # Surrounding whitespace is stripped before lengths are checked (so "\u00a0" is too short for
    # a required name) and NUL is refused (PostgreSQL cannot store it): the document says so with
    # a pattern on free-text fields, for clients and validators.
    for field_schema in schema.get("properties", {}).values():
        _document_text(field_schema)


JsonBool = StrictBool
"""A JSON boolean: ``0`` or ``"true"`` is refused, not read as a boolean."""


def _json_integer(value: Any) -> Any:
    # An integral float such as 30.0 is a JSON integer; a string or a boolean is not.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a JSON integer")
    return value


@dataclass(frozen=True)
class JsonInteger:
    """Marks an integer field as a JSON integer: ``"30"`` or ``true`` is refused, not read as a
    number. Put it after the field's bounds (``Annotated[int, Field(ge=1), JsonInteger()]``), so
    the document states them as such."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_json_integer, handler(source))


JsonInt = Annotated[int, JsonInteger()]
"""A JSON integer; bounds declared on the field (``x: JsonInt = Field(ge=1)``) come first."""


def _written(code: str, expected: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, date | time) or (isinstance(value, str) and not is_timestamp(value)):
            return value
        raise PydanticCustomError(code, "Input should be a JSON {expected}", {"expected": expected})

    return BeforeValidator(check)


JsonDate = Annotated[date, _written("date_type", "date string (YYYY-MM-DD)")]
"""A date written YYYY-MM-DD: a number, or a string holding one, is refused, not read as a Unix
timestamp."""

JsonTime = Annotated[time, _written("datetime_type", "date-time or time string (RFC 3339)")]
"""A time of day written as text: a number of seconds is refused."""


@dataclass(frozen=True)
class AsSent:
    """Checks text as the client sent it, before the model strips surrounding whitespace: it never
    holds NUL, which PostgreSQL cannot store, and has at most ``max_length`` characters (by default
    the ``max_length`` declared before this marker). The declared lengths then apply to the text
    once stripped."""

    max_length: int | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        inner = handler(source)
        limit = self.max_length
        if limit is None and inner["type"] == "str":
            limit = inner.get("max_length")
        return core_schema.no_info_before_validator_function(partial(_as_sent, limit), inner)


def _as_sent(max_length: int | None, value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError(
                "string_pattern_mismatch", "Text cannot contain the NUL character (U+0000)"
            )
        if max_length is not None and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
    return value


Text = Annotated[str, AsSent()]
"""Request text: declare its lengths on the field (``name: Text = Field(max_length=200)``), or
before the marker when the field is optional (``Annotated[str, Field(max_length=200), AsSent()]
| None``)."""


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, so a client that sends ``ends_at`` learns at
    once that the end is derived.

    Values keep their JSON types where their fields say so (``JsonBool``, ``JsonInt``,
    ``JsonDate``, ``JsonTime``, ``Instant``): pydantic's lax mode would read ``0`` as ``false`` or as
    1970-01-01 and ``"30"`` as 30. Text fields are ``Text`` (or end in ``AsSent()``): no NUL, and
    ``max_length`` counts the text as sent, before surrounding whitespace is stripped.
    """

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_request_json_schema
    )


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
