"""Base classes for request and response bodies."""

from __future__ import annotations

import types
from collections.abc import Iterable
from datetime import date, time
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import MaxLen
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from needleplan.kit.time import is_timestamp

_TEMPORAL_MARKERS = (
    AwareDatetime,
    NaiveDatetime,
    PastDate,
    FutureDate,
    PastDatetime,
    FutureDatetime,
)


def _json_kinds(annotation: Any) -> tuple[str, set[type]] | None:
    """The error code and the JSON value types a field of this type may be sent as, for the
    scalar types pydantic's lax mode would otherwise coerce; None for any other type."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        parts = [_json_kinds(arg) for arg in get_args(annotation)]
        if any(part is None for part in parts):
            return None
        checked = [part for part in parts if part is not None and part[0] != "none"]
        if not checked:
            return None
        return checked[0][0], set().union(*(part[1] for part in parts if part is not None))
    if annotation is type(None):
        return "none", {type(None)}
    if annotation is bool:
        return "bool_type", {bool}
    if annotation is int:
        return "int_type", {int, float}  # an integral float such as 30.0 is a JSON integer
    if annotation is float:
        return "float_type", {int, float}
    if annotation in _TEMPORAL_MARKERS or (
        isinstance(annotation, type) and issubclass(annotation, date | time)
    ):
        code = "date_type" if annotation in (date, PastDate, FutureDate) else "datetime_type"
        return code, {str, date, time}  # a string in JSON; objects when built in Python
    return None


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


def _raw_max_length(annotation: Any, metadata: Iterable[Any] = ()) -> int | None:
    """The ``max_length`` declared for a text field, wherever pydantic keeps it."""
    for item in metadata:
        if isinstance(item, MaxLen):
            return int(item.max_length)
        if isinstance(item, FieldInfo) and (found := _raw_max_length(None, item.metadata)):
            return found
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return _raw_max_length(base, extra)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if found := _raw_max_length(arg):
                return found
    return None


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, so a client that sends ``ends_at`` learns at
    once that the end is derived.

    Values keep their JSON types: pydantic's lax mode would read ``0`` as ``false`` or as
    1970-01-01 and ``"30"`` as 30; a body that sends them is refused with 422 like any other
    value of the wrong type. Text never holds NUL, which PostgreSQL cannot store, and its
    ``max_length`` counts the text as sent, before surrounding whitespace is stripped.
    """

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_request_json_schema
    )

    @field_validator("*", mode="before")
    @classmethod
    def _keep_json_types(cls, value: Any, info: ValidationInfo) -> Any:
        if _contains_nul(value):
            raise PydanticCustomError(
                "string_pattern_mismatch", "Text cannot contain the NUL character (U+0000)"
            )
        field = cls.model_fields.get(info.field_name or "")
        if field is None:
            return value
        kinds = _json_kinds(field.annotation)
        if isinstance(value, str) and kinds is not None and kinds[0] in _TEMPORAL_CODES:
            if is_timestamp(value):
                raise PydanticCustomError(
                    kinds[0], "Input should be a JSON {expected}", {"expected": _EXPECTED[kinds[0]]}
                )
            return value
        if isinstance(value, str):
            # maxLength applies to the text as sent, before whitespace is stripped.
            max_length = _raw_max_length(field.annotation, field.metadata)
            if max_length is not None and len(value) > max_length:
                raise PydanticCustomError(
                    "string_too_long",
                    "String should have at most {max_length} characters",
                    {"max_length": max_length},
                )
            return value
        if kinds is None or value is None:
            return value
        code, allowed = kinds
        accepted = bool in allowed if isinstance(value, bool) else isinstance(value, tuple(allowed))
        if not accepted:
            raise PydanticCustomError(
                code, "Input should be a JSON {expected}", {"expected": _EXPECTED[code]}
            )
        return value


_TEMPORAL_CODES = ("date_type", "datetime_type")
_EXPECTED = {
    "bool_type": "boolean",
    "int_type": "integer",
    "float_type": "number",
    "date_type": "date string (YYYY-MM-DD)",
    "datetime_type": "date-time or time string (RFC 3339)",
}


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
