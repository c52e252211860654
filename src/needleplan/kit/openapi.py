"""The OpenAPI document: clean operation ids, problem+json errors and bearer security."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from needleplan.problems import (
    PROBLEM_MEDIA_TYPE,
    InvalidIfMatch,
    PayloadTooLarge,
    Problem,
    UnsupportedMediaType,
)

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


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
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
                operation["description"] = rest.strip()
            if not operation.get("description"):
                operation.pop("description", None)
            if path.startswith("/v1"):
                operation["security"] = [{"bearerAuth": []}]
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
    return document
