"""Small request and response helpers shared by the routers."""

from __future__ import annotations

from fastapi import Request, Response

from needleplan.kit.etag import etag
from needleplan.problems import FieldError, ValidationFailed, field_error

NUL = "\x00"


def created(response: Response, location: str, version: int | None = None) -> None:
    response.headers["Location"] = location
    if version is not None:
        response.headers["ETag"] = etag(version)


def tag_version(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


async def refuse_nul_characters(request: Request) -> None:
    """An app-wide dependency: no path or query value may hold NUL (U+0000).

    PostgreSQL cannot store or even compare text holding it, so ``GET /v1/clients/%00`` would
    fail inside the database; it is refused up front, on every database alike, as the OpenAPI
    document says (kit.openapi). Bodies are checked by ``RequestModel``. ``async`` so that it
    runs on the event loop, not in the threadpool.
    """
    detail, code = "Text cannot contain the NUL character (U+0000).", "string_pattern_mismatch"
    errors: list[FieldError] = [
        field_error("path", name, detail, code)
        for name, value in request.path_params.items()
        if isinstance(value, str) and NUL in value
    ]
    errors += [
        field_error("query", name, detail, code)
        for name, value in request.query_params.multi_items()
        if NUL in name or NUL in value
    ]
    if errors:
        names = ", ".join(sorted({f"{error.location}.{error.field}" for error in errors}))
        raise ValidationFailed(f"Invalid fields: {names}.", errors)
