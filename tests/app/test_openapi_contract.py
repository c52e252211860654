"""The OpenAPI document is part of the product (docs/api.md#openapi): clean operation ids,
tags, summaries, problem+json errors, 401 first on every /v1 operation, offline docs and
problem-type pages."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from needleplan.auth.roles import Role
from needleplan.config import Settings
from needleplan.kit.openapi import role_sentence
from needleplan.main import create_app
from needleplan.problems import PROBLEM_MEDIA_TYPE, Problem
from tests.live_server import needleplan_command

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")
# FastAPI's generated ids end with the path and the method, e.g. create_location_v1_locations_post;
# camel-casing one (createLocationV1LocationsPost) would still betray it.
GENERATED_ID = re.compile(r"(_|V1[A-Z].*(Get|Put|Post|Delete|Patch|Head|Options)$)")
DUMMY_ID = "00000000-0000-4000-8000-000000000000"


def _document() -> dict[str, Any]:
    # Building the document never touches the database: an unused in-memory URL will do.
    return create_app(Settings(database_url="sqlite://")).openapi()


DOCUMENT = _document()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


OPERATIONS = _operations(DOCUMENT)
V1_OPERATIONS = [op for op in OPERATIONS if op[1].startswith("/v1")]


def _label(operation: tuple[str, str, dict[str, Any]]) -> str:
    method, path, _ = operation
    return f"{method.upper()} {path}"


def _concrete_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", DUMMY_ID, path)


def test_the_document_lists_the_v1_operations() -> None:
    assert DOCUMENT["openapi"].startswith("3.")
    assert V1_OPERATIONS, "no /v1 operation in the document"
    assert "bearerAuth" in DOCUMENT["components"]["securitySchemes"]


def test_operation_ids_are_unique() -> None:
    ids = Counter(operation.get("operationId") for _, _, operation in OPERATIONS)
    assert None not in ids, "an operation has no operationId"
    assert [name for name, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_operation_is_documented(operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, spec = operation
    operation_id = spec.get("operationId", "")
    assert OPERATION_ID.match(operation_id), f"{operation_id!r} is not lowerCamel"
    assert not GENERATED_ID.search(operation_id), f"{operation_id!r} looks auto-generated"
    assert spec.get("tags"), "no tag"
    assert all(isinstance(tag, str) and tag for tag in spec["tags"])
    assert spec.get("summary", "").strip(), "no summary"
    # The handler's docstring needs a paragraph after its first line: what the operation does
    # and its notable problems (kit.openapi appends the role).
    own_text = spec.get("description", "").split("\n\n")[0]
    assert own_text.strip(), "no description"
    assert not own_text.startswith(ROLE_SENTENCES), "no description but the role"
    assert [code for code in spec["responses"] if code.startswith("4")], "no 4xx response"
    if path.startswith(("/v1", "/fhir/")):  # the FHIR facade takes the same keys
        assert spec.get("security") == [{"bearerAuth": []}]
        assert "401" in spec["responses"], "401 is not documented"
        assert spec["description"].endswith(ROLE_SENTENCES), "the role is not named"
    else:
        assert spec.get("security") == [], "a public operation must say it needs no key"


ROLE_SENTENCES = tuple(role_sentence(role) for role in Role)


def test_every_tag_in_use_is_declared_with_a_description() -> None:
    used = {tag for _, _, spec in OPERATIONS for tag in spec["tags"]}
    declared = {tag["name"]: tag.get("description", "") for tag in DOCUMENT["tags"]}
    assert set(declared) == used
    assert [name for name, description in declared.items() if not description.strip()] == []


def test_document_names_its_server_contact_and_license() -> None:
    assert DOCUMENT["servers"] == [
        {"url": "/", "description": "The server that serves this document."}
    ]
    assert DOCUMENT["info"]["contact"]["name"]
    assert DOCUMENT["info"]["license"] == {"name": "Apache-2.0", "identifier": "Apache-2.0"}


COMPONENT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def test_component_schemas_have_unique_clean_names() -> None:
    # Generated clients name their models after these. FastAPI falls back to
    # ``module__path__Model`` keys when two models share a class name, and to ``Model-Input`` /
    # ``Model-Output`` when a model's request and response schemas differ; both keep the same
    # title, so openapi-python-client drops the duplicates and every operation that uses them.
    schemas = DOCUMENT["components"]["schemas"]
    assert [key for key in schemas if not COMPONENT_NAME.match(key)] == []
    titles = Counter(schema.get("title", key) for key, schema in schemas.items())
    assert [title for title, count in titles.items() if count > 1] == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_error_responses_are_problem_json(operation: tuple[str, str, dict[str, Any]]) -> None:
    _, path, spec = operation
    # The FHIR facade answers its errors as FHIR OperationOutcomes.
    media_type, model = (
        ("application/fhir+json", "OperationOutcome")
        if path.startswith("/fhir/")
        else (PROBLEM_MEDIA_TYPE, "ProblemDetails")
    )
    for status, response in spec["responses"].items():
        if not status.startswith(("4", "5")):
            continue
        content = response.get("content", {})
        assert list(content) == [media_type], f"{status} is documented as {list(content)}"
        schema = content[media_type]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, status


def _unauthenticated_variants() -> list[Any]:
    variants = []
    for operation in V1_OPERATIONS:
        method, path, spec = operation
        bodies: dict[str, bytes | None]
        if "requestBody" in spec:
            bodies = {"empty-json": b"{}", "malformed-json": b'{"first_name": '}
        else:
            bodies = {"no-body": None}
        for body_name, body in bodies.items():
            for auth_name, auth in {
                "no-credentials": None,
                "unknown-key": "Bearer np_not_a_real_key",
                "wrong-scheme": "Basic dXNlcjpwYXNz",
            }.items():
                variants.append(
                    pytest.param(
                        method,
                        path,
                        body,
                        auth,
                        id=f"{method.upper()} {path} {body_name} {auth_name}",
                    )
                )
    return variants


@pytest.mark.parametrize(("method", "path", "body", "authorization"), _unauthenticated_variants())
def test_every_v1_operation_answers_401_first(
    client: TestClient, method: str, path: str, body: bytes | None, authorization: str | None
) -> None:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.request(method, _concrete_path(path), content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    problem = response.json()
    assert problem["type"] == "/problems/unauthorized"
    assert problem["status"] == 401
    assert problem["title"]
    assert problem["detail"]


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "spec-url"} and value:
                self.assets.append(value)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_local_assets_only(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert re.findall(r"https?://[^\s'\"<>]+", response.text) == []
    collector = _AssetCollector()
    collector.feed(response.text)
    scripts = [a for a in collector.assets if a.endswith(".js")]
    styles = [a for a in collector.assets if a.endswith(".css")]
    assert scripts, f"{page} references no script"
    if page == "/docs":
        assert styles, "/docs references no stylesheet"
    for asset in collector.assets:
        assert asset.startswith("/"), f"{asset} is not a local path"
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert fetched.content, asset


def test_swagger_oauth2_redirect_is_local(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert re.findall(r"https?://[^\s'\"<>]+", response.text) == []


def test_openapi_json_is_served_without_credentials(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT


@pytest.mark.parametrize("slug", sorted(Problem.registry))
def test_problem_type_pages(client: TestClient, slug: str) -> None:
    response = client.get(f"/problems/{slug}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    problem = Problem.registry[slug]
    assert f"/problems/{slug}" in response.text
    assert str(problem.status) in response.text


def test_every_problem_type_named_in_the_document_has_a_page(client: TestClient) -> None:
    named = set(re.findall(r"/problems/([a-z0-9-]+)", json.dumps(DOCUMENT)))
    assert named <= set(Problem.registry), sorted(named - set(Problem.registry))


def test_unknown_problem_type_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/problems/no-such-problem")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"] == "/problems/not-found"


@pytest.mark.slow
def test_cli_writes_the_openapi_document(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    completed = subprocess.run(
        [*needleplan_command(), "openapi", str(output)],
        env={
            "PATH": "/usr/bin:/bin",
            "NEEDLEPLAN_DATABASE_URL": f"sqlite:///{tmp_path}/unused.db",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(output.read_text())
    assert document == _document()
    assert document["openapi"].startswith("3.")
