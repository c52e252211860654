"""Catalogue codes: the one shape of a catalogue entry's key (treatment areas, devices, course
templates, care notices) and the one check of a body's list of codes (treatment areas,
screening conditions)."""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

from pydantic import Field

from needleplan.problems import FieldError, ValidationFailed, field_error

CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
KEY_DESCRIPTION = "Stable key: lower-case letters, digits and underscores."


def code_field(example: str, description: str = KEY_DESCRIPTION) -> Any:
    """The field of a catalogue code: 2-40 lower-case letters, digits and underscores, starting
    with a letter (a code is a key other records keep, so it never changes)."""
    return Field(
        min_length=2,
        max_length=40,
        pattern=CODE_PATTERN,
        examples=[example],
        description=description,
    )


def refuse_bad_codes(
    codes: Sequence[str],
    known: Container[str],
    *,
    field: str,
    what: str,
    summary: str,
    unknown: str,
    location: str = "body",
    duplicates: bool = False,
    single: bool = False,
) -> None:
    """A 422 naming every code of ``codes`` listed twice (when ``duplicates`` are refused) or
    not in ``known``: one field error each (``field.<index>``, or ``field`` for a ``single``
    code), and the offending codes in the detail (``"<summary>: 'a', 'b'."``)."""
    errors: list[FieldError] = []
    offending: list[str] = []

    def where(index: int) -> str:
        return field if single else f"{field}.{index}"

    if duplicates:
        seen: set[str] = set()
        for index, code in enumerate(codes):
            if code in seen:
                errors.append(
                    field_error(location, where(index), f"{code!r} is listed twice", "duplicate")
                )
                offending.append(code)
            seen.add(code)
    for index, code in enumerate(codes):
        if code not in known:
            errors.append(field_error(location, where(index), f"{code!r} is not {what}", unknown))
            offending.append(code)
    if errors:
        named = ", ".join(repr(code) for code in dict.fromkeys(offending))
        raise ValidationFailed(f"{summary}: {named}.", errors)
