"""HTTP edges (issue 10, point 5): bodies that are not JSON (415), bodies over the size limit
(413, refused while they stream in) and If-Match headers that are not ETags (400)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from needleplan.config import Settings
from needleplan.main import create_app
from needleplan.problems import PROBLEM_MEDIA_TYPE
from tests.conftest import Headers, RollbackDatabase
from tests.live_server import LiveServer

LOCATION = {"name": "Clinic", "time_zone": "Europe/Berlin"}


def _problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"/problems/{slug}"
    assert problem["status"] == status
    assert problem["detail"]
    return problem


# 415 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ],
)
def test_json_media_types_are_read(client: TestClient, admin: Headers, content_type: str) -> None:
    response = client.post(
        "/v1/locations",
        content=json.dumps(LOCATION),
        headers={**admin, "Content-Type": content_type},
    )
    assert response.status_code == 201, response.text


def test_a_form_encoded_body_is_415_naming_its_type(client: TestClient, admin: Headers) -> None:
    # What `curl -d '{...}'` sends when the Content-Type header is forgotten.
    response = client.post(
        "/v1/locations",
        content=json.dumps(LOCATION),
        headers={**admin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    problem = _problem(response, 415, "unsupported-media-type")
    assert "application/x-www-form-urlencoded" in problem["detail"]
    assert "application/json" in problem["detail"]
    assert problem["instance"] == "/v1/locations"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_other_media_types_are_415(client: TestClient, admin: Headers, content_type: str) -> None:
    response = client.post(
        "/v1/locations",
        content=json.dumps(LOCATION),
        headers={**admin, "Content-Type": content_type},
    )
    assert content_type in _problem(response, 415, "unsupported-media-type")["detail"]


def test_a_body_without_content_type_is_415(client: TestClient, admin: Headers) -> None:
    request = client.build_request(
        "POST", "/v1/locations", content=json.dumps(LOCATION), headers=admin
    )
    assert "content-type" not in request.headers
    response = client.send(request)
    problem = _problem(response, 415, "unsupported-media-type")
    assert "no Content-Type" in problem["detail"]


def test_a_patch_body_is_checked_too(client: TestClient, admin: Headers) -> None:
    location = client.post("/v1/locations", json=LOCATION, headers=admin).json()
    response = client.patch(
        f"/v1/locations/{location['id']}",
        content=b'{"name": "Renamed"}',
        headers={**admin, "If-Match": '"1"', "Content-Type": "text/plain"},
    )
    _problem(response, 415, "unsupported-media-type")


def test_requests_without_a_body_need_no_content_type(client: TestClient, admin: Headers) -> None:
    assert client.get("/v1/locations", headers=admin).status_code == 200
    created = client.post("/v1/api-keys", json={"name": "k", "role": "integration"}, headers=admin)
    assert created.status_code == 201, created.text
    assert client.delete(f"/v1/api-keys/{created.json()['id']}", headers=admin).status_code == 204
    # A body-taking operation sent no body at all is a validation error, not a media type one.
    missing = client.post("/v1/locations", headers=admin)
    _problem(missing, 422, "validation-error")
    # An empty body with any Content-Type is no body.
    empty = client.post(
        "/v1/locations", content=b"", headers={**admin, "Content-Type": "text/plain"}
    )
    _problem(empty, 422, "validation-error")


def test_401_comes_before_415(client: TestClient) -> None:
    response = client.post(
        "/v1/locations", content=b"name=x", headers={"Content-Type": "text/plain"}
    )
    _problem(response, 401, "unauthorized")


# 413 -------------------------------------------------------------------------------------------

SMALL_LIMIT = 2048


@pytest.fixture
def small_client(settings: Settings, database: RollbackDatabase) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": SMALL_LIMIT}), database)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _padded_location(size: int) -> bytes:
    body = json.dumps({**LOCATION, "name": ""}).encode()
    return body.replace(b'"name": ""', b'"name": "' + b"x" * (size - len(body)) + b'"')


def test_the_limit_defaults_to_one_mebibyte() -> None:
    assert Settings().max_body_bytes == 1024 * 1024


def test_a_body_at_the_limit_is_read(small_client: TestClient, admin: Headers) -> None:
    body = _padded_location(SMALL_LIMIT)
    assert len(body) == SMALL_LIMIT
    response = small_client.post(
        "/v1/locations", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    # Read and validated (the name is too long), not refused for its size.
    _problem(response, 422, "validation-error")


def test_a_content_length_over_the_limit_is_413(small_client: TestClient, admin: Headers) -> None:
    response = small_client.post(
        "/v1/locations",
        content=_padded_location(SMALL_LIMIT + 1),
        headers={**admin, "Content-Type": "application/json"},
    )
    problem = _problem(response, 413, "payload-too-large")
    assert str(SMALL_LIMIT) in problem["detail"]
    assert problem["instance"] == "/v1/locations"


def test_a_chunked_body_over_the_limit_is_413(small_client: TestClient, admin: Headers) -> None:
    # No Content-Length: the body is counted as it is read. The in-process client reads the
    # whole generator first; the live tests below show the refusal while the body streams.
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    request = small_client.build_request(
        "POST",
        "/v1/locations",
        content=chunks(),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    _problem(small_client.send(request), 413, "payload-too-large")


def test_401_comes_before_413(small_client: TestClient) -> None:
    response = small_client.post(
        "/v1/locations",
        content=b" " * (SMALL_LIMIT + 1),
        headers={"Content-Type": "application/json"},
    )
    _problem(response, 401, "unauthorized")


# 413 against a real server, at the default limit of 1 MiB -------------------------------------

MIB = 1024 * 1024


def _head(live_server: LiveServer, extra: str) -> bytes:
    host = live_server.base_url.removeprefix("http://")
    return (
        f"POST /v1/locations HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {live_server.admin_key}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def _read_status_and_body(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    assert headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = json.loads(rest[:length])
    return status, body


def _connect(live_server: LiveServer) -> socket.socket:
    host, _, port = live_server.base_url.removeprefix("http://").partition(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def test_live_a_huge_content_length_is_refused_before_any_body_is_sent(
    live_server: LiveServer,
) -> None:
    with _connect(live_server) as sock:
        sock.sendall(_head(live_server, f"Content-Length: {50 * MIB}\r\n"))
        # Not one byte of the 50 MiB is sent: the answer comes from the header alone.
        status, problem = _read_status_and_body(sock)
    assert status == 413
    assert problem["type"] == "/problems/payload-too-large"


def test_live_a_chunked_body_is_refused_while_it_streams(live_server: LiveServer) -> None:
    with _connect(live_server) as sock:
        sock.sendall(_head(live_server, "Transfer-Encoding: chunked\r\n"))
        piece = b" " * (64 * 1024)
        for _ in range(MIB // len(piece) + 1):  # just over 1 MiB, and the body never ends
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        status, problem = _read_status_and_body(sock)
    assert status == 413
    assert problem["type"] == "/problems/payload-too-large"
    assert str(MIB) in problem["detail"]


def test_live_httpx_streaming_a_chunked_body(live_server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(17):  # 17 x 64 KiB: just over 1 MiB
            yield b" " * (64 * 1024)

    try:
        response = httpx.post(
            live_server.url("/v1/locations"),
            content=chunks(),
            headers={**live_server.admin_headers, "Content-Type": "application/json"},
            timeout=10,
        )
    except (httpx.WriteError, httpx.RemoteProtocolError) as exc:  # pragma: no cover
        pytest.fail(f"the server closed the connection without answering: {exc!r}")
    _problem(response, 413, "payload-too-large")


def test_live_a_small_chunked_json_body_is_read(live_server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        body = json.dumps(LOCATION).encode()
        yield body[:10]
        yield body[10:]

    response = httpx.post(
        live_server.url("/v1/locations"),
        content=chunks(),
        headers={**live_server.admin_headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


# If-Match ----------------------------------------------------------------------------------


def _location(client: TestClient, admin: Headers) -> str:
    response = client.post("/v1/locations", json=LOCATION, headers=admin)
    assert response.status_code == 201, response.text
    location_id: str = response.json()["id"]
    return location_id


def _rename(client: TestClient, admin: Headers, location_id: str, if_match: str) -> httpx.Response:
    return client.patch(
        f"/v1/locations/{location_id}",
        json={"name": "Renamed"},
        headers={**admin, "If-Match": if_match},
    )


def test_an_unquoted_if_match_is_400_showing_the_quoted_form(
    client: TestClient, admin: Headers
) -> None:
    location_id = _location(client, admin)
    problem = _problem(_rename(client, admin, location_id, "1"), 400, "invalid-if-match")
    assert 'If-Match: "1"' in problem["detail"]
    assert client.get(f"/v1/locations/{location_id}", headers=admin).json()["name"] == "Clinic"


@pytest.mark.parametrize("if_match", ["", "abc def", '"1" x', '*, "1"', "W/1"])
def test_other_unreadable_if_match_is_400(
    client: TestClient, admin: Headers, if_match: str
) -> None:
    location_id = _location(client, admin)
    problem = _problem(_rename(client, admin, location_id, if_match), 400, "invalid-if-match")
    assert '"2"' in problem["detail"]


@pytest.mark.parametrize("if_match", ['"1"', "*", '"7", "1"', ' "1" ', '"7",,"1"'])
def test_matching_if_match_forms(client: TestClient, admin: Headers, if_match: str) -> None:
    location_id = _location(client, admin)
    response = _rename(client, admin, location_id, if_match)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'


def test_a_weak_if_match_never_matches(client: TestClient, admin: Headers) -> None:
    location_id = _location(client, admin)
    problem = _problem(_rename(client, admin, location_id, 'W/"1"'), 412, "precondition-failed")
    assert "strongly" in problem["detail"]
    stale = _problem(_rename(client, admin, location_id, '"7"'), 412, "precondition-failed")
    assert stale["detail"] == 'The resource is at ETag "1", not "7".'


# Wording -----------------------------------------------------------------------------------


def test_a_role_refusal_names_both_roles(
    client: TestClient, integration: Headers, front_desk: Headers
) -> None:
    admin_only = client.post("/v1/locations", json=LOCATION, headers=integration)
    problem = _problem(admin_only, 403, "forbidden")
    assert problem["detail"] == (
        "This operation needs the admin role; this API key's role is integration."
    )
    due = client.get("/v1/due", headers=integration)
    assert _problem(due, 403, "forbidden")["detail"] == (
        "This operation needs the front_desk role or higher; this API key's role is integration."
    )
