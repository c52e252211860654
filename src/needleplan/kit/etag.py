"""ETags from version numbers, and the If-Match preconditions of SPEC 5."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from needleplan.problems import PreconditionFailed, PreconditionRequired

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag you read; the write is refused with 412 if the resource changed since.",
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def _matches(if_match: str, version: int) -> bool:
    current = etag(version)
    for candidate in if_match.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate in ("*", current):
            return True
    return False


def require_if_match(if_match: str | None, version: int) -> None:
    """Updates must send If-Match (428 without it, 412 when stale)."""
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you read before updating.")
    check_if_match(if_match, version)


def check_if_match(if_match: str | None, version: int) -> None:
    """State actions honour If-Match when it is sent, but do not require it."""
    if if_match is not None and not _matches(if_match, version):
        raise PreconditionFailed(
            f"The resource is at ETag {etag(version)}, not {if_match.strip()}."
        )
