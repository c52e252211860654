"""GET /metrics (issue 13, point 8): Prometheus text by route template, booking outcomes, the
event and webhook instruments, the pool gauges, and counts that add up over two workers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from needleplan.config import Settings
from needleplan.main import create_app
from needleplan.metrics import instruments, multiprocess
from needleplan.metrics.instruments import BOOKING_OUTCOMES_BY_PROBLEM, booking_outcome
from needleplan.problems import Problem
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def scrape(client: TestClient | httpx.Client, headers: Headers) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def test_metrics_need_an_admin_key(client: TestClient, admin: Headers, clinician: Headers) -> None:
    unauthenticated = client.get("/metrics")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["type"] == "/problems/unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    forbidden = client.get("/metrics", headers=clinician)
    assert forbidden.status_code == 403
    assert forbidden.json()["type"] == "/problems/forbidden"
    assert client.get("/metrics", headers=admin).status_code == 200


def test_metrics_public_needs_no_key(settings: Settings, database: RollbackDatabase) -> None:
    public = settings.model_copy(update={"metrics_public": True})
    with TestClient(create_app(public, database)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert "http_requests_total" in response.text


def test_metrics_stay_out_of_the_openapi_document(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_requests_are_counted_by_route_template_never_by_path(
    client: TestClient, admin: Headers
) -> None:
    before = scrape(client, admin)
    secret_id = "0190d5e2-7777-7abc-8def-patientid123"
    for _ in range(3):
        assert client.get(f"/v1/sessions/{secret_id}", headers=admin).status_code == 404
    assert client.get(f"/v1/sessions/{secret_id}").status_code == 401  # before routing
    assert client.get("/no/such/path/jane-doe").status_code == 404
    response = client.get("/metrics", headers=admin)
    after = samples(response.text)
    assert secret_id not in response.text
    assert "jane-doe" not in response.text
    route = "/v1/sessions/{session_id}"

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("http_requests_total", method="GET", route=route, status="404") == 3
    assert grew("http_requests_total", method="GET", route=route, status="401") == 1
    assert grew("http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert grew("http_request_duration_seconds_count", method="GET", route=route) == 4
    assert grew("http_request_duration_seconds_sum", method="GET", route=route) > 0


def test_booking_outcomes(client: TestClient, admin: Headers, clinician: Headers) -> None:
    clinic = make_clinic(client, admin, providers=2, opens="08:00", closes="18:00")
    alice = make_client(client, clinician, name="Alice")
    bea = make_client(client, clinician, name="Bea")
    unscreened = make_client(client, clinician, name="Cleo", screened=False)
    day = future_day()
    before = scrape(client, admin)
    answers = [
        booking(clinic, alice, local(day, "10:00")),  # booked
        booking(clinic, bea, local(day, "10:00"), room=1),  # the provider is busy: slot_taken
        booking(clinic, bea, local(day, "10:03"), provider=1, room=1),  # off_slot_grid
        booking(clinic, bea, local(day, "19:00"), provider=1, room=1),  # outside hours
        booking(clinic, unscreened, local(day, "12:00"), provider=1, room=2),  # not_eligible
        {"client_id": alice},  # invalid
    ]
    statuses = [client.post("/v1/sessions", json=body, headers=admin) for body in answers]
    assert [r.status_code for r in statuses] == [201, 409, 422, 422, 422, 422], [
        r.text for r in statuses
    ]
    after = scrape(client, admin)
    grown = {
        outcome: value(after, "needleplan_bookings_total", outcome=outcome)
        - value(before, "needleplan_bookings_total", outcome=outcome)
        for outcome in instruments.BOOKING_OUTCOMES
    }
    assert {k: v for k, v in grown.items() if v} == {
        "booked": 1,
        "slot_taken": 1,
        "off_slot_grid": 1,
        "outside_working_hours": 1,
        "not_eligible": 1,
        "invalid": 1,
    }
    # A GET of the booking path is no booking.
    assert client.get("/v1/sessions", headers=admin).status_code == 200
    later = scrape(client, admin)
    assert all(
        value(later, "needleplan_bookings_total", outcome=o)
        == value(after, "needleplan_bookings_total", outcome=o)
        for o in instruments.BOOKING_OUTCOMES
    )


def test_an_idempotent_replay_is_no_second_booking(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin)
    alice = make_client(client, clinician, name="Alice")
    body = booking(clinic, alice, local(future_day(), "11:00"))
    headers = {**admin, "Idempotency-Key": "metrics-replay-1"}
    before = scrape(client, admin)
    assert client.post("/v1/sessions", json=body, headers=headers).status_code == 201
    replay = client.post("/v1/sessions", json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
    after = scrape(client, admin)
    for outcome in ("booked", "replayed"):
        grew = value(after, "needleplan_bookings_total", outcome=outcome) - value(
            before, "needleplan_bookings_total", outcome=outcome
        )
        assert grew == 1, outcome


def test_booking_outcome_is_decided_from_the_answer() -> None:
    assert booking_outcome(201, None) == "booked"
    assert booking_outcome(201, None, replayed=True) == "replayed"
    assert booking_outcome(409, "/problems/slot-taken") == "slot_taken"
    assert booking_outcome(409, "/problems/something-new") == "rejected"
    assert booking_outcome(422, None) == "rejected"
    assert booking_outcome(503, "/problems/service-unavailable") == "error"
    assert set(BOOKING_OUTCOMES_BY_PROBLEM) <= set(Problem.registry)


def test_every_problem_of_the_booking_endpoint_has_its_own_outcome(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/sessions"]["post"]
    slugs = {
        slug
        for response in operation["responses"].values()
        for slug in re.findall(r"/problems/([a-z-]+)", response.get("description", ""))
    }
    assert slugs
    assert slugs - set(BOOKING_OUTCOMES_BY_PROBLEM) <= {"not-found", "service-unavailable"}, slugs


def test_event_and_webhook_instruments(client: TestClient, admin: Headers) -> None:
    before = scrape(client, admin)
    instruments.count_event("session.booked")
    instruments.count_webhook_delivery("succeeded")
    instruments.set_webhook_oldest_pending(42.0)
    with pytest.raises(ValueError, match="outcome"):
        instruments.count_webhook_delivery("maybe")
    after = scrape(client, admin)
    assert (
        value(after, "needleplan_events_total", type="session.booked")
        - value(before, "needleplan_events_total", type="session.booked")
        == 1
    )
    assert (
        value(after, "needleplan_webhook_deliveries_total", outcome="succeeded")
        - value(before, "needleplan_webhook_deliveries_total", outcome="succeeded")
        == 1
    )
    assert value(after, "needleplan_webhook_deliveries_total", outcome="gave_up") >= 0
    assert value(after, "needleplan_webhook_oldest_pending_seconds") == 42.0
    instruments.set_webhook_oldest_pending(0)


def test_pool_gauges_are_read_at_scrape_time(client: TestClient, admin: Headers) -> None:
    found = scrape(client, admin)
    assert ("needleplan_db_pool_connections_in_use", frozenset()) in found
    assert ("needleplan_db_pool_overflow_connections", frozenset()) in found
    assert found[("needleplan_db_pool_overflow_connections", frozenset())] >= 0


def test_prepare_empties_the_operators_directory(tmp_path: Path) -> None:
    given = tmp_path / "prom"
    given.mkdir()
    (given / "counter_12345.db").write_bytes(b"stale")
    (given / "keep.txt").write_text("not ours")
    env: dict[str, Any] = {multiprocess.MULTIPROC_ENV: str(given)}
    directory = multiprocess.prepare(env)
    assert directory.path == given
    assert not directory.created
    assert sorted(p.name for p in given.iterdir()) == ["keep.txt"]
    directory.cleanup()
    assert given.is_dir()


def test_prepare_makes_a_fresh_directory_and_removes_it() -> None:
    env: dict[str, str] = {}
    directory = multiprocess.prepare(env)
    assert env[multiprocess.MULTIPROC_ENV] == str(directory.path)
    assert directory.created
    assert directory.path.is_dir()
    assert not list(directory.path.iterdir())
    directory.cleanup()
    assert not directory.path.exists()


@pytest.mark.slow
def test_counts_add_up_over_two_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.live_server import running_server

    operator_dir = tmp_path / "prom"
    operator_dir.mkdir()
    (operator_dir / "counter_99999.db").write_bytes(b"a stale file from an earlier run")
    monkeypatch.setenv(multiprocess.MULTIPROC_ENV, str(operator_dir))
    requests = 60
    with running_server(tmp_path, workers=2) as server:
        monkeypatch.delenv(multiprocess.MULTIPROC_ENV)  # this process stays single-process
        assert not (operator_dir / "counter_99999.db").exists()
        for _ in range(requests):
            # A new connection each time, so the kernel spreads them over the workers.
            answer = httpx.get(server.url("/v1/locations"), headers=server.admin_headers)
            assert answer.status_code == 200
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            for _ in range(4):  # whichever worker answers the scrape sees every worker's counts
                found = scrape(http, server.admin_headers)
                counted = value(
                    found, "http_requests_total", method="GET", route="/v1/locations", status="200"
                )
                assert counted >= requests
                assert (
                    value(
                        found,
                        "http_request_duration_seconds_count",
                        method="GET",
                        route="/v1/locations",
                    )
                    >= requests
                )
                assert value(found, "needleplan_db_pool_connections_in_use") >= 0
            assert http.get("/metrics").status_code == 401
        assert list(operator_dir.glob("counter_*.db"))  # the workers write where they were told
