"""Behind `needleplan serve --root-path /x` (uvicorn's root_path): FHIR errors stay
OperationOutcomes, and FHIR links and feed URLs name the prefix.

uvicorn puts the root path in front of every request path; this client does the same when
given the full path, like tests/auth/test_auth.py::test_keys_work_behind_a_root_path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.conftest import Headers
from tests.factories import Clinic, future_day, make_clinic
from tests.fhir.test_fhir import FHIR_JSON, MODELS

ROOT = "/x"
ORIGIN = "http://testserver"


@pytest.fixture
def proxied(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, root_path=ROOT, raise_server_exceptions=False) as behind_proxy:
        yield behind_proxy


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, providers=2)  # the same app and database, no prefix


def outcome(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON), response.headers
    document = response.json()
    OperationOutcome.model_validate(document)
    code: str = document["issue"][0]["code"]
    return code


def valid(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    document: dict[str, Any] = response.json()
    MODELS[document["resourceType"]].model_validate(document)
    for entry in document.get("entry", []):
        MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return document


def test_fhir_errors_stay_operation_outcomes(
    proxied: TestClient, clinician: Headers, settings: Any
) -> None:
    base = f"{ROOT}/fhir/R4"
    # The authentication middleware's 401, before any route.
    assert outcome(proxied.get(f"{base}/metadata"), 401) == "login"
    # A Problem raised by a route, a refused query parameter, and the router's own 404 and 405.
    assert outcome(proxied.get(f"{base}/Appointment/nope", headers=clinician), 404) == "not-found"
    assert outcome(proxied.get(f"{base}/Appointment?color=red", headers=clinician), 400) == (
        "invalid"
    )
    assert outcome(proxied.get(f"{base}/Appointment?_count=0", headers=clinician), 400) == (
        "invalid"
    )
    assert outcome(proxied.get(f"{base}/Nothing/here", headers=clinician), 404) == "not-found"
    assert outcome(proxied.post(f"{base}/metadata", headers=clinician), 405) == "not-supported"
    # The body limit's 413, before the application reads anything.
    too_large = proxied.post(
        f"{base}/metadata",
        content=b"x" * (settings.max_body_bytes + 1),
        headers={**clinician, "Content-Type": "application/json"},
    )
    assert outcome(too_large, 413) == "processing"
    # /v1 keeps its problem+json behind the prefix too, with the full path as the instance.
    problem = proxied.get(f"{ROOT}/v1/sessions/nope", headers=clinician)
    assert problem.status_code == 404
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert problem.json()["instance"] == f"{ROOT}/v1/sessions/nope"
    # A path that merely contains /fhir/ is not the facade.
    assert (
        proxied.get(f"{ROOT}/v1/fhir/R4/metadata", headers=clinician)
        .headers["content-type"]
        .startswith("application/problem+json")
    )


def test_fhir_links_name_the_root_path(
    proxied: TestClient, integration: Headers, clinic: Clinic
) -> None:
    base = f"{ORIGIN}{ROOT}/fhir/R4"
    statement = valid(proxied.get(f"{ROOT}/fhir/R4/metadata", headers=integration))
    assert statement["implementation"]["url"] == base

    page = valid(proxied.get(f"{ROOT}/fhir/R4/Practitioner?_count=1", headers=integration))
    links = {link["relation"]: link["url"] for link in page["link"]}
    assert links["self"] == f"{base}/Practitioner?_count=1"
    assert links["next"].startswith(f"{base}/Practitioner?_count=1&_cursor=")
    assert page["entry"][0]["fullUrl"].startswith(f"{base}/Practitioner/")
    # The next link is followed as it is: through the proxy, it reaches the app again.
    following = valid(proxied.get(links["next"].removeprefix(ORIGIN), headers=integration))
    assert following["entry"][0]["resource"]["id"] != page["entry"][0]["resource"]["id"]

    day = future_day(5)
    slots = valid(
        proxied.get(
            f"{ROOT}/fhir/R4/Slot",
            params=[
                ("schedule", f"Schedule/{clinic.provider_ids[0]}"),
                ("start", f"ge{day.isoformat()}"),
                ("start", f"lt{(day + timedelta(days=1)).isoformat()}"),
            ],
            headers=integration,
        )
    )
    assert slots["link"][0]["url"].startswith(f"{base}/Slot?schedule=")
    assert slots["entry"]
    assert all(e["fullUrl"].startswith(f"{base}/Slot/") for e in slots["entry"])


def test_feed_urls_name_the_root_path(
    proxied: TestClient,
    admin: Headers,
    clinic: Clinic,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = proxied.post(
        f"{ROOT}/v1/calendar-feeds",
        json={"scope": "provider", "id": clinic.provider_ids[0]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    url: str = created.json()["url"]
    assert url.startswith(f"{ORIGIN}{ROOT}/calendar/")
    assert url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="needleplan.access"):
        feed = proxied.get(url.removeprefix(ORIGIN))  # what a calendar app subscribes to
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    icalendar.Calendar.from_ical(feed.content)
    lines = [r.getMessage() for r in caplog.records if r.name == "needleplan.access"]
    assert any(line.startswith(f"GET {ROOT}/calendar/<redacted>.ics 200") for line in lines)
    assert all(token not in r.getMessage() for r in caplog.records)

    revoked = proxied.delete(f"{ROOT}/v1/calendar-feeds/{created.json()['id']}", headers=admin)
    assert revoked.status_code == 204, revoked.text
    gone = proxied.get(url.removeprefix(ORIGIN))
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
