"""ETags from version numbers, and the If-Match preconditions (docs/api.md#updates-and-etags)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from needleplan.problems import InvalidIfMatch, PreconditionFailed, PreconditionRequired

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            'The ETag you read, in double quotes as the ETag header sends it ("2"); the write is '
            "refused with 412 if the resource changed since, with 400 if this is not an ETag."
        ),
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*')
_BARE_TAG = re.compile(r"[\x21\x23-\x7e]+")


def _entity_tags(if_match: str) -> list[tuple[bool, str]] | None:
    """The list ``if_match`` holds as (weak, quoted tag) pairs; None when it is not one.
    Empty list elements are skipped, as RFC 9110 5.6.1 asks of a recipient."""
    tags: list[tuple[bool, str]] = []
    position, end = 0, len(if_match)
    while position < end:
        if if_match[position] in ", \t":
            position += 1
            continue
        found = _ENTITY_TAG.match(if_match, position)
        if found is None:
            return None
        tags.append((found.group(1) is not None, found.group(2)))
        position = found.end()
        if position < end and if_match[position] != ",":
            return None
    return tags or None


def _invalid_detail(sent: str) -> str:
    if _BARE_TAG.fullmatch(sent) and len(sent) <= 40 and not sent.startswith("W/"):
        return (
            "If-Match takes the ETag in double quotes, as the ETag header sends it: "
            f'If-Match: "{sent}", not If-Match: {sent}.'
        )
    return (
        "If-Match takes ETags in double quotes, as the ETag header sends them "
        '(If-Match: "2"), a comma-separated list of them, or *.'
    )


def require_if_match(if_match: str | None, version: int) -> None:
    """Updates must send If-Match (428 without it, 400 when unreadable, 412 when stale)."""
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you read before updating.")
    check_if_match(if_match, version)


def check_if_match(if_match: str | None, version: int) -> None:
    """State actions honour If-Match when it is sent, but do not require it.

    RFC 9110 13.1.1: ``*`` matches any current version; otherwise some listed tag must be
    strongly equal to the ETag, so a weak tag never matches.
    """
    if if_match is None or if_match.strip() == "*":
        return
    tags = _entity_tags(if_match)
    if tags is None:
        raise InvalidIfMatch(_invalid_detail(if_match.strip()))
    current = etag(version)
    if any(not weak and tag == current for weak, tag in tags):
        return
    if (True, current) in tags:
        raise PreconditionFailed(
            f"If-Match compares ETags strongly, so W/{current} never matches; "
            f"the resource is at ETag {current}."
        )
    raise PreconditionFailed(f"The resource is at ETag {current}, not {if_match.strip()}.")
