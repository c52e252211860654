"""Routers are matched busiest first and documented in the table of contents' order
(needleplan/api.py): which route answers a request and what the OpenAPI document says must not
depend on that order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path

import needleplan.main
from needleplan.api import V1_ROUTERS, matching_order
from needleplan.config import Settings
from needleplan.main import create_app

SETTINGS = Settings(database_url="sqlite://")  # never connected: nothing here reads data


def _operations_in_matching_order() -> list[tuple[str, frozenset[str], re.Pattern[str]]]:
    """(path, methods, regex) of every operation, in the order the app tries them."""
    app = create_app(SETTINGS)
    operations = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            path = context.path_format
            assert path is not None
            assert route.methods
            operations.append((path, frozenset(route.methods), compile_path(path)[0]))
    return operations


OPERATIONS = _operations_in_matching_order()


def test_the_busiest_routers_are_tried_first() -> None:
    first = [path for path, _, _ in OPERATIONS if path.startswith("/v1/")][:3]
    assert all(path.startswith("/v1/sessions") for path in first), first


@pytest.mark.parametrize(
    ("path", "methods"), [(path, methods) for path, methods, _ in OPERATIONS], ids=str
)
def test_no_route_answers_for_another(path: str, methods: frozenset[str]) -> None:
    # A concrete path of the route's shape; a static segment elsewhere ("/v1/holds/expired")
    # would be shadowed by a parameter here ("/v1/holds/{hold_id}") if it came later.
    concrete = re.sub(r"\{[^}]+\}", "x1", path)
    for method in methods:
        first = next(
            other
            for other, other_methods, regex in OPERATIONS
            if method in other_methods and regex.fullmatch(concrete)
        )
        assert first == path, f"{method} {concrete} would be answered by {first}"


def test_the_document_keeps_the_table_of_contents_order(monkeypatch: Any) -> None:
    matched_busiest_first = create_app(SETTINGS).openapi()
    monkeypatch.setattr(needleplan.main, "matching_order", list)
    matched_as_listed = create_app(SETTINGS).openapi()
    assert list(matched_busiest_first["paths"]) == list(matched_as_listed["paths"])
    assert matched_busiest_first == matched_as_listed


def test_matching_order_keeps_every_router_once() -> None:
    order = matching_order(V1_ROUTERS)
    assert sorted(map(id, order)) == sorted(map(id, V1_ROUTERS))
