"""Webhooks (issue 13, points 4-7): endpoints, signed deliveries to a real local receiver
verified with the ``standardwebhooks`` package, retries, 410, the SSRF guard."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from needleplan.config import Settings, get_settings
from needleplan.db import Database
from needleplan.main import create_app
from needleplan.webhooks import schedule, worker
from tests.conftest import Headers, RollbackDatabase
from tests.factories import make_client
from tests.webhooks.receiver import receiver


@pytest.fixture
def settings(migrated_database: Database) -> Settings:
    return Settings(
        database_url=migrated_database.url,
        webhook_allow_private=True,
        webhook_retry_schedule=[0, 1, 1],
    )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with worker.make_client(4) as client:
        yield client


def _register(
    client: TestClient, admin: Headers, url: str, types: list[str], **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": types, **extra}, headers=admin
    )
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    assert hook["secret"].startswith("whsec_")
    return hook


def _location(client: TestClient, admin: Headers, name: str = "Mitte") -> str:
    response = client.post(
        "/v1/locations", json={"name": name, "time_zone": "Europe/Berlin"}, headers=admin
    )
    assert response.status_code == 201, response.text
    location_id: str = response.json()["id"]
    return location_id


def _drain(database: RollbackDatabase, settings: Settings, http: httpx.Client) -> None:
    while worker.run_once(database, settings, http):
        pass


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _deliveries(client: TestClient, admin: Headers, hook: dict[str, Any]) -> list[Any]:
    response = client.get(f"/v1/webhook-endpoints/{hook['id']}/deliveries", headers=admin)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def test_deliveries_are_signed_per_standard_webhooks(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver() as hooks:
        hook = _register(client, admin, hooks.url, ["location.*"])
        location_id = _location(client, admin)
        _drain(database, settings, http)
    assert len(hooks.received) == 1
    got = hooks.received[0]
    payload = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "location.created"
    assert payload["subject"] == {"kind": "location", "id": location_id}
    assert got.headers["webhook-id"] == payload["id"]
    feed = client.get("/v1/events", params={"types": "location.created"}, headers=admin).json()
    assert payload == feed["items"][-1]
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(got.body, got.headers)
    [delivery] = _deliveries(client, admin, hook)
    assert delivery["state"] == "succeeded"
    assert delivery["attempts"] == 1
    assert delivery["last_status_code"] == 200


def test_both_secrets_sign_during_a_rotation(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver() as hooks:
        hook = _register(client, admin, hooks.url, ["location.created"])
        rotated = client.post(f"/v1/webhook-endpoints/{hook['id']}/rotate-secret", headers=admin)
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != hook["secret"]
        _location(client, admin)
        _drain(database, settings, http)
    [got] = hooks.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], new_secret):
        Webhook(secret).verify(got.body, got.headers)
    listed = client.get(f"/v1/webhook-endpoints/{hook['id']}", headers=admin).json()
    assert "secret" not in listed


def test_500_twice_then_200_arrives_on_the_third_attempt_with_the_same_id(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver([500, 500, 200]) as hooks:
        hook = _register(client, admin, hooks.url, ["location.created"])
        _location(client, admin)
        deadline = time.monotonic() + 10
        while len(hooks.received) < 3 and time.monotonic() < deadline:
            _drain(database, settings, http)
            time.sleep(0.1)
    assert len(hooks.received) == 3
    assert len({r.headers["webhook-id"] for r in hooks.received}) == 1
    for got in hooks.received:
        Webhook(hook["secret"]).verify(got.body, got.headers)
    [delivery] = _deliveries(client, admin, hook)
    assert (delivery["state"], delivery["attempts"], delivery["last_status_code"]) == (
        "succeeded",
        3,
        200,
    )


def test_a_delivery_fails_once_the_schedule_runs_out_and_can_be_retried(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver([500] * 3) as hooks:
        hook = _register(client, admin, hooks.url, ["location.created"])
        _location(client, admin)
        deadline = time.monotonic() + 10
        while len(hooks.received) < 3 and time.monotonic() < deadline:
            _drain(database, settings, http)
            time.sleep(0.1)
        [delivery] = _deliveries(client, admin, hook)
        assert (delivery["state"], delivery["attempts"]) == ("failed", 3)
        assert delivery["last_error"]
        retried = client.post(
            f"/v1/webhook-endpoints/{hook['id']}/deliveries/{delivery['id']}/retry",
            headers=admin,
        )
        assert retried.status_code == 202, retried.text
        _drain(database, settings, http)
    assert len(hooks.received) == 4
    [delivery] = _deliveries(client, admin, hook)
    assert delivery["state"] == "succeeded"


def test_the_schedule_has_one_jittered_wait_per_attempt() -> None:
    for _ in range(50):
        first, second = (schedule.wait_before([2, 1], n) for n in (1, 2))
        assert first is not None
        assert 2 <= first.total_seconds() <= 2.2
        assert second is not None
        assert 1 <= second.total_seconds() <= 1.1
    assert schedule.wait_before([2, 1], 3) is None
    assert schedule.wait_before([0], 1) == timedelta(0)


def test_the_first_number_of_the_schedule_delays_the_first_attempt(
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    # The app's settings, not the environment's, schedule the deliveries its requests write
    # (fanout.py runs in the request's pre-commit step): 2 s before the first attempt, 1 s
    # before the one retry, then failed. The environment keeps its default (0 s first).
    slow = settings.model_copy(update={"webhook_retry_schedule": [2, 1]})
    assert get_settings().webhook_retry_schedule[0] == 0
    client = TestClient(create_app(slow, database))
    with receiver([500, 500]) as hooks:
        hook = _register(client, admin, hooks.url, ["location.created"])
        created = time.monotonic()
        _location(client, admin)
        [pending] = _deliveries(client, admin, hook)
        wait = _instant(pending["next_attempt_at"]) - _instant(pending["created_at"])
        assert timedelta(seconds=1.9) <= wait <= timedelta(seconds=2.3)
        arrived: list[float] = []
        deadline = time.monotonic() + 10
        while len(hooks.received) < 2 and time.monotonic() < deadline:
            _drain(database, slow, http)
            arrived += [time.monotonic()] * (len(hooks.received) - len(arrived))
            time.sleep(0.05)
    assert len(hooks.received) == 2
    assert arrived[0] - created >= 1.9
    assert arrived[1] - arrived[0] >= 0.9
    [delivery] = _deliveries(client, admin, hook)
    assert (delivery["state"], delivery["attempts"]) == ("failed", 2)


def test_410_disables_the_endpoint_after_one_attempt(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver([410]) as hooks:
        hook = _register(client, admin, hooks.url, ["location.*"])
        _location(client, admin)
        _drain(database, settings, http)
        _location(client, admin, "Kreuzberg")
        _drain(database, settings, http)
    assert len(hooks.received) == 1
    endpoint = client.get(f"/v1/webhook-endpoints/{hook['id']}", headers=admin).json()
    assert endpoint["enabled"] is False
    assert "410" in endpoint["disabled_reason"]
    feed = client.get("/v1/events", params={"types": "webhook_endpoint.*"}, headers=admin).json()
    assert feed["items"][-1]["type"] == "webhook_endpoint.disabled"


def test_the_test_event_goes_to_its_endpoint_only(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver() as one, receiver() as other:
        hook = _register(client, admin, one.url, ["location.created"])
        _register(client, admin, other.url, ["*"], role="admin")
        response = client.post(f"/v1/webhook-endpoints/{hook['id']}/test", headers=admin)
        assert response.status_code == 202, response.text
        _drain(database, settings, http)
    [got] = one.received
    assert Webhook(hook["secret"]).verify(got.body, got.headers)["type"] == "webhook.test"
    assert all(json.loads(r.body)["type"] != "webhook.test" for r in other.received)


def test_an_integration_endpoint_gets_what_an_integration_key_reads(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver() as hooks:
        _register(client, admin, hooks.url, ["client.created", "screening.*"])
        make_client(client, clinician, name="Lovelace")
        _drain(database, settings, http)
    [got] = hooks.received
    assert b"Lovelace" not in got.body
    assert json.loads(got.body)["type"] == "client.created"


def test_patch_needs_if_match_and_delete_removes(client: TestClient, admin: Headers) -> None:
    hook = _register(client, admin, "http://127.0.0.1:9/hook", ["*"])
    path = f"/v1/webhook-endpoints/{hook['id']}"
    assert client.patch(path, json={"enabled": False}, headers=admin).status_code == 428
    patched = client.patch(
        path, json={"description": "CRM", "enabled": False}, headers={**admin, "If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["description"], patched.json()["enabled"]) == ("CRM", False)
    assert client.delete(path, headers=admin).status_code == 204
    assert client.get(path, headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "https"),
        ("https://127.0.0.1/hook", "non-public"),
        ("https://10.1.2.3/hook", "non-public"),
        ("https://[::1]/hook", "non-public"),
        ("https://169.254.169.254/latest", "non-public"),
        ("ftp://93.184.215.14/hook", "https"),
    ],
)
def test_the_ssrf_guard_refuses_private_and_plain_http_urls(
    app: FastAPI, client: TestClient, admin: Headers, settings: Settings, url: str, why: str
) -> None:
    app.state.settings = settings.model_copy(update={"webhook_allow_private": False})
    response = client.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": ["*"]}, headers=admin
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("webhook-url-not-allowed")
    assert why in response.json()["detail"]


def test_the_ssrf_guard_runs_again_at_delivery(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    with receiver() as hooks:
        hook = _register(client, admin, hooks.url, ["location.created"])
        _location(client, admin)
        strict = settings.model_copy(update={"webhook_allow_private": False})
        worker.run_once(database, strict, http)
    assert hooks.received == []
    [delivery] = _deliveries(client, admin, hook)
    assert delivery["state"] == "pending"
    assert "https" in delivery["last_error"]


def test_an_endpoint_failing_for_too_long_is_disabled_and_says_why(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    settings: Settings,
    http: httpx.Client,
) -> None:
    hasty = settings.model_copy(update={"webhook_disable_after_hours": 0.5 / 3600})
    with receiver([500] * 3) as hooks:
        hook = _register(client, admin, hooks.url, ["location.created"])
        _location(client, admin)
        deadline = time.monotonic() + 10
        while len(hooks.received) < 2 and time.monotonic() < deadline:
            _drain(database, hasty, http)
            time.sleep(0.1)
    assert len(hooks.received) == 2
    endpoint = client.get(f"/v1/webhook-endpoints/{hook['id']}", headers=admin).json()
    assert endpoint["enabled"] is False
    assert "Every delivery failed" in endpoint["disabled_reason"]
    feed = client.get("/v1/events", params={"types": "webhook_endpoint.*"}, headers=admin).json()
    assert feed["items"][-1]["type"] == "webhook_endpoint.disabled"
    reenabled = client.patch(
        f"/v1/webhook-endpoints/{hook['id']}",
        json={"enabled": True},
        headers={**admin, "If-Match": f'"{endpoint["version"]}"'},
    )
    assert reenabled.status_code == 200, reenabled.text
    assert reenabled.json()["disabled_reason"] is None
