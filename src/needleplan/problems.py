"""Every problem type the API answers with, and the handlers that render them (RFC 9457).

Nothing else builds an error response. A problem's ``type`` is the stable relative URI
``/problems/<slug>``, which the API serves as a short human-readable page.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from needleplan.kit import markdown
from needleplan.kit.access_log import loggable_path

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# The FHIR facade (/fhir/...) answers its errors as FHIR OperationOutcomes instead.
FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_PREFIX = "/fhir/"
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
}


class FieldError(BaseModel):
    location: str = Field(description="Where the field is: body, query, path or header.")
    field: str = Field(description="Dotted path of the field inside that location, e.g. areas.1.")
    detail: str
    code: str = Field(
        description="A stable machine-readable reason, e.g. missing, extra_forbidden."
    )


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["/problems/validation-error"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    """Base class: raise a subclass, the handler renders it."""

    status: int = 500  # each class's HTTP status; an instance may answer with another
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    explanation: ClassVar[str] = "The server failed to answer. The failure has been logged."

    registry: ClassVar[dict[str, type[Problem]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Problem.registry[cls.slug] = cls

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            document["instance"] = instance
        document.update(self.extensions)
        return document


class MalformedRequest(Problem):
    status, slug, title = 400, "malformed-request", "Malformed request"
    explanation = "The request could not be read: the body is not valid JSON, or a value such as a pagination cursor was not produced by this API."


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Missing or invalid credentials"
    explanation = (
        "Send `Authorization: Bearer <api key>` with a key that exists and is not revoked."
    )

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Role not allowed"
    explanation = "The API key is valid but its role may not perform this operation."


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"
    explanation = "No resource exists at this path, or no resource has the id in the path."


class MethodNotAllowed(Problem):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"
    explanation = "The path exists but does not accept this HTTP method."


class AlreadyExists(Problem):
    status, slug, title = 409, "already-exists", "Already exists"
    explanation = (
        "A resource with the same unique key (such as a treatment area code) already exists."
    )


class InvalidIfMatch(Problem):
    status, slug, title = 400, "invalid-if-match", "Invalid If-Match"
    explanation = (
        "If-Match holds the ETag exactly as the ETag header sent it, double quotes included: "
        '`If-Match: "2"`, not `If-Match: 2`. A comma-separated list matches when any of its tags '
        'does, and `*` matches whatever the current version is. Weak tags (`W/"2"`) are read '
        "but, as RFC 9110 requires for If-Match, never match, so they answer 412."
    )


class PreconditionFailed(Problem):
    status, slug, title = 412, "precondition-failed", "Stale If-Match"
    explanation = 'The resource changed since you read it: `If-Match` no longer matches its ETag (a weak tag such as `W/"2"` never matches). Read it again and retry.'


class ValidationFailed(Problem):
    status, slug, title = 422, "validation-error", "Invalid request"
    explanation = (
        "The request is well-formed but some fields are invalid; `errors` lists each field and why."
    )

    def __init__(self, detail: str, errors: Sequence[FieldError]) -> None:
        super().__init__(detail, errors=[error.model_dump() for error in errors])


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Request body too large"
    explanation = "The request body is larger than this server accepts (`NEEDLEPLAN_MAX_BODY_BYTES`, 1 MiB by default). It is refused as soon as the limit is passed, from `Content-Length` or while a chunked body streams in."


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"
    explanation = "Request bodies are JSON: send them with `Content-Type: application/json` (a charset parameter or an `application/*+json` type is fine). A body with another Content-Type, or with none, is refused."


class PreconditionRequired(Problem):
    status, slug, title = 428, "precondition-required", "If-Match required"
    explanation = "Updates must send `If-Match` with the ETag you read, so two writers cannot overwrite each other."


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "Service unavailable"
    explanation = "The database cannot be reached right now. Retry after the number of seconds in `Retry-After`; nothing acknowledged before is lost."


class InternalError(Problem):
    pass


# Idempotent POSTs (kit/idempotency.py)
class IdempotencyInProgress(Problem):
    status, slug, title = 409, "idempotency-in-progress", "Request still in progress"
    explanation = "The first request with this Idempotency-Key is still running. Retry shortly to receive its answer."


class IdempotencyKeyReused(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused"
    explanation = "This Idempotency-Key was first sent with a different method, path or body. Use a new key for a new request."


class IdempotencyKeyInvalid(Problem):
    status, slug, title = 400, "idempotency-key-invalid", "Invalid Idempotency-Key"
    explanation = "An Idempotency-Key is 1 to 255 visible ASCII characters."


def field_error(location: str, field: str, detail: str, code: str) -> FieldError:
    return FieldError(location=location, field=field, detail=detail, code=code)


def operation_outcome(problem: Problem) -> tuple[int, dict[str, Any]]:
    """The FHIR facade's form of a problem: an OperationOutcome; a refused search (422 in
    /v1) is a 400 Bad Request, as FHIR's search specification has it."""
    status = 400 if problem.status == 422 else problem.status
    code = _ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
    return status, {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": problem.detail}],
    }


def _in_fhir_facade(path: str, root_path: str) -> bool:
    # Behind `needleplan serve --root-path /x` the server puts the prefix in front of every
    # path (/x/fhir/R4/...), and a FHIR client must still get an OperationOutcome.
    if root_path and path.startswith(root_path + "/"):
        path = path[len(root_path) :]
    return path.startswith(FHIR_PREFIX)


def problem_response(problem: Problem, instance: str | None, root_path: str = "") -> JSONResponse:
    """``problem`` as problem+json, or as an OperationOutcome when ``instance`` (the request
    path, ``root_path`` included) is in the FHIR facade."""
    if instance is not None and _in_fhir_facade(instance, root_path):
        status, document = operation_outcome(problem)
        return JSONResponse(
            document, status_code=status, headers=problem.headers, media_type=FHIR_MEDIA_TYPE
        )
    return JSONResponse(
        problem.body(instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_responses(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems an operation can answer with."""
    by_status: dict[int, list[type[Problem]]] = {}
    for problem in problems:
        by_status.setdefault(problem.status, []).append(problem)
    return {
        status: {
            "model": ProblemDetails,
            "description": " / ".join(f"{p.title} (`/problems/{p.slug}`)" for p in group),
        }
        for status, group in sorted(by_status.items())
    }


def _describe_location(loc: Iterable[Any]) -> tuple[str, str]:
    parts = list(loc)
    location = str(parts[0]) if parts else "body"
    field = ".".join(str(part) for part in parts[1:])
    return location, field


def _respond(problem: Problem, request: Request) -> JSONResponse:
    return problem_response(problem, request.url.path, request.scope.get("root_path", ""))


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return _respond(exc, request)


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return MalformedRequest("The request body is not valid JSON.")
    field_errors = []
    for error in errors:
        location, field = _describe_location(error.get("loc", ()))
        # Only pydantic's message: the offending input may be patient data and is never echoed.
        field_errors.append(
            field_error(location, field, str(error.get("msg", "invalid")), str(error.get("type")))
        )
    names = ", ".join(
        sorted({f"{e.location}.{e.field}" if e.field else e.location for e in field_errors})
    )
    return ValidationFailed(f"Invalid fields: {names}.", field_errors)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _respond(_validation_problem(exc), request)


def render_client_error(exc: Exception, request: Request) -> JSONResponse | None:
    """The response a 4xx exception will be rendered as (for idempotent replay); else None."""
    if isinstance(exc, RequestValidationError):
        return _respond(_validation_problem(exc), request)
    if isinstance(exc, Problem) and exc.status < 500:
        return _respond(exc, request)
    return None


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own 405 names only the methods
    of the first route whose path matched, but one path is often served by several routes
    (``GET`` and ``POST /v1/clients``), and ``Allow`` must list them all (RFC 9110)."""
    routes: Iterable[Any] = request.app.routes
    # FastAPI 0.13x+ keeps included routers nested; this flattens them (older versions already do).
    iter_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_route_contexts is not None:
        routes = iter_route_contexts(routes)
    methods: set[str] = set()
    for route in routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods.update(route_methods)
    return sorted(methods)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    problem: Problem
    if exc.status_code == 404:
        problem = NotFound(f"Nothing is served at {request.url.path}.")
    elif exc.status_code == 405:
        problem = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}.")
        problem.headers = dict(exc.headers or {})
        allowed = _allowed_methods(request)
        if allowed:
            problem.headers["Allow"] = ", ".join(allowed)
    else:
        problem = MalformedRequest("The request could not be processed.")
        problem.status = exc.status_code
    return _respond(problem, request)


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(exc).__name__)
    problem = ServiceUnavailable(
        "The database is unreachable; retry shortly.", headers={"Retry-After": "2"}
    )
    return _respond(problem, request)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        loggable_path(request.url.path),  # never a calendar feed's token
        exc_info=exc,
    )
    return _respond(InternalError("An unexpected error occurred."), request)


def _problem_page(slug: str) -> HTMLResponse:
    problem = Problem.registry.get(slug)
    if problem is None:
        raise NotFound(f"No problem type is named {slug!r}.")
    title = html.escape(problem.title)
    body = markdown.render(problem.explanation)  # escaped; `code` spans become <code>
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><h1>{title}</h1><p>HTTP status {problem.status}. "
        f"Type <code>/problems/{html.escape(slug)}</code>.</p>{body}</body></html>"
    )
    return HTMLResponse(page)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(OperationalError, _on_database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)

    @app.get("/problems/{slug}", include_in_schema=False)
    async def read_problem_type(slug: str) -> HTMLResponse:
        return _problem_page(slug)
