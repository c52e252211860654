"""Small request and response helpers shared by the routers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request, Response
from pydantic_core import to_json

from needleplan.kit.etag import etag
from needleplan.problems import FieldError, UnsupportedMediaType, ValidationFailed, field_error

NUL = "\x00"
JSON = "application/json"


def created(response: Response, location: str, version: int | None = None) -> None:
    response.headers["Location"] = location
    if version is not None:
        response.headers["ETag"] = etag(version)


def json_document(document: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A 200 answer rendered straight from plain values (dicts, lists, text, numbers, instants
    and dates) in one pass, for hot reads whose route declares the response model the values
    follow: FastAPI would otherwise build and serialise a model per item."""
    return Response(to_json(document), media_type=JSON, headers=headers)


# Where ``json_with_items`` splices items already serialised: no value of ours can hold NUL
# (requests holding it are refused), so its JSON text occurs nowhere else in a document.
ITEMS = NUL + "items" + NUL
_ITEMS_JSON = to_json(ITEMS)


def json_with_items(
    document: Mapping[str, Any], items: Sequence[bytes], headers: Mapping[str, str] | None = None
) -> Response:
    """``json_document`` of ``document`` with one value ``ITEMS``, which becomes the JSON array
    of ``items``, each already serialised (sessions/reads.py keeps sessions as JSON)."""
    head, found, tail = to_json(document).partition(_ITEMS_JSON)
    if not found:
        raise ValueError("the document has no ITEMS value")
    return Response(head + b"[" + b",".join(items) + b"]" + tail, media_type=JSON, headers=headers)


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


def _is_json(media_type: str) -> bool:
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


async def refuse_non_json_body(request: Request) -> None:
    """A body must be JSON, said so by its Content-Type (415 otherwise): ``application/json``
    or ``application/*+json``, with any parameters (``charset=utf-8``). Requests without a body
    need no Content-Type. Reading the body here, before the request's transaction, also keeps a
    slow upload from holding a database transaction open.
    """
    if not await request.body():
        return
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if not media_type:
        raise UnsupportedMediaType(
            f"The request has a body but no Content-Type; send it as {JSON}."
        )
    if not _is_json(media_type):
        shown = media_type if len(media_type) <= 100 else media_type[:100] + "..."
        raise UnsupportedMediaType(
            f"The body is sent as {shown}; this API reads {JSON} bodies only."
        )
