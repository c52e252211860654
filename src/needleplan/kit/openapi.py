"""The OpenAPI document: clean operation ids, problem+json errors and bearer security.

Built so that Redocly's ``recommended`` and Spectral's ``spectral:oas`` rules pass
(``make lint-openapi``): every operation's summary and description come from its handler's
docstring, /v1 descriptions end with the role the handler's dependencies check, every tag in
use is declared with the description ``openapi_tags`` gives it, and every operation states its
security (``[]`` where no API key is needed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from needleplan.auth.middleware import FHIR_PREFIX, PROTECTED_PREFIX
from needleplan.auth.roles import Role
from needleplan.deps import required_role
from needleplan.problems import (
    PROBLEM_MEDIA_TYPE,
    InvalidIfMatch,
    PayloadTooLarge,
    Problem,
    UnsupportedMediaType,
)

# Relative: the API is wherever the document was read from, so clients and "Try it" keep working
# behind any host name.
DEFAULT_SERVERS = [{"url": "/", "description": "The server that serves this document."}]

IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Send the same key again to get the first answer replayed instead of acting twice "
        "(kept 24 hours, per API key). The same key with another body is refused with 422."
    ),
    # Visible ASCII (kit.idempotency.check_key); HTTP strips surrounding spaces from a header.
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$",
    },
}


NO_NUL_PATTERN = r"^[^\x00]*$"


def _document_no_nul(schema: dict[str, Any]) -> None:
    """Path and query text never holds NUL (kit.http.refuse_nul_characters)."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        schema["pattern"] = NO_NUL_PATTERN
    for branch in schema.get("anyOf", []):
        _document_no_nul(branch)
    if isinstance(schema.get("items"), dict):
        _document_no_nul(schema["items"])


def _add_problems(operation: dict[str, Any], *problems: type[Problem]) -> None:
    """Document problems answered outside the routes' own ``responses`` (middleware, If-Match),
    next to any problem already documented with the same status."""
    responses = operation.setdefault("responses", {})
    for problem in problems:
        name = f"{problem.title} (`/problems/{problem.slug}`)"
        response = responses.setdefault(
            str(problem.status),
            {
                "description": "",
                "content": {
                    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
                },
            },
        )
        descriptions = [d for d in response["description"].split(" / ") if d]
        response["description"] = " / ".join([*descriptions, name])


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(
        parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match"
        for parameter in operation.get("parameters", [])
    )


def operation_id(route: APIRoute) -> str:
    """``create_client`` becomes ``createClient``: handler names are unique verb_noun names."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every APIRoute; FastAPI 0.13x+ keeps included routers nested, older versions flatten them."""
    iter_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_route_contexts is None:
        yield from (route for route in app.routes if isinstance(route, APIRoute))
        return
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.original_route


def _needed_role(dependant: Dependant) -> Role | None:
    """The highest role any dependency of the route checks (deps._require)."""
    roles = []
    pending = [dependant]
    while pending:
        current = pending.pop()
        role = required_role(current.call)
        if role is not None:
            roles.append(role)
        pending.extend(current.dependencies)
    return max(roles, key=lambda role: role.rank, default=None)


def role_sentence(role: Role) -> str:
    if role is Role.integration:
        return "Any API key may call it (role `integration` or higher)."
    if role.rank == len(Role) - 1:
        return f"Needs an API key with the `{role.value}` role."
    return f"Needs an API key with the `{role.value}` role or higher."


def _declared_tags(app: FastAPI, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The tags in use, in ``openapi_tags`` order; an undeclared one (no description) last."""
    used = {
        tag: None
        for operations in document.get("paths", {}).values()
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    declared = [tag for tag in app.openapi_tags or [] if tag["name"] in used]
    names = {tag["name"] for tag in declared}
    return declared + [{"name": name} for name in used if name not in names]


def build_openapi(app: FastAPI, routes: Sequence[BaseRoute] | None = None) -> dict[str, Any]:
    """The document of ``app``, listing ``routes`` (default: the app's) in their order."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes if routes is None else list(routes),
        tags=app.openapi_tags,
        servers=app.servers or DEFAULT_SERVERS,
        contact=app.contact,
        license_info=app.license_info,
    )
    document["tags"] = _declared_tags(app, document)
    roles = {operation_id(route): _needed_role(route.dependant) for route in _api_routes(app)}
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key created with `needleplan create-api-key`.",
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            # The handler's docstring: its first line is the summary, the rest the description.
            summary, _, rest = operation.get("description", "").strip().partition("\n")
            if summary:
                operation["summary"] = summary.strip().rstrip(".")
            paragraphs = [rest.strip()] if rest.strip() else []
            role = roles.get(operation.get("operationId", ""))
            if role is not None:
                paragraphs.append(role_sentence(role))
            if paragraphs:
                operation["description"] = "\n\n".join(paragraphs)
            else:
                operation.pop("description", None)
            protected = path == "/v1" or path.startswith((PROTECTED_PREFIX, FHIR_PREFIX))
            operation["security"] = [{"bearerAuth": []}] if protected else []
            if path.startswith(FHIR_PREFIX):
                # The FHIR facade refuses invalid parameters with 400 (problems.operation_outcome).
                operation.get("responses", {}).pop("422", None)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("path", "query"):
                    _document_no_nul(parameter.get("schema", {}))
            if path.startswith("/v1") and method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
            if "requestBody" in operation:  # kit.body_limit and kit.http.refuse_non_json_body
                _add_problems(operation, PayloadTooLarge, UnsupportedMediaType)
            if _takes_if_match(operation):  # kit.etag
                _add_problems(operation, InvalidIfMatch)
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    if "#/components/schemas/HTTPValidationError" not in json.dumps(document["paths"]):
        for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, now unused
            components.get("schemas", {}).pop(name, None)
    return document
