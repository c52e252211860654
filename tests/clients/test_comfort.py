"""A client's comfort preference (issue 15, point 1; docs/domain.md#comfort): the numbing rule
alone, `numbing_preference` through the API, and who reads `comfort_notes` (clinicians and
admins: never front desk, never an integration key, never the change feed of either, never a
log line)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from needleplan.auth.roles import Role
from needleplan.clients.comfort import NumbingChoice, choose_numbing
from needleplan.events.service import read_as
from needleplan.kit.statuses import NumbingPreference, NumbingSource
from needleplan.models import Event
from tests.conftest import Headers

NOTES = "Faints at the sight of needles; count down before each pass."
MARA = {
    "first_name": "Marabella",
    "last_name": "Quenstedt",
    "date_of_birth": "1991-06-02",
    "email": "mara.q@example.org",
}

ALWAYS, NEVER, ASK = NumbingPreference.always, NumbingPreference.never, NumbingPreference.ask
REQUEST, PLAN, PREFERENCE = (
    NumbingSource.request,
    NumbingSource.plan,
    NumbingSource.client_preference,
)


@pytest.mark.parametrize(
    ("asked", "plan_numbing", "preference", "expected"),
    [
        # The request's word wins over everything.
        (True, None, NEVER, NumbingChoice(True, REQUEST)),
        (False, None, ALWAYS, NumbingChoice(False, REQUEST)),
        (False, True, ASK, NumbingChoice(False, REQUEST)),
        (True, False, ASK, NumbingChoice(True, REQUEST)),
        # Left out: a plan's booking takes the plan's, whatever the client's preference.
        (None, True, NEVER, NumbingChoice(True, PLAN)),
        (None, False, ALWAYS, NumbingChoice(False, PLAN)),
        (None, False, ASK, NumbingChoice(False, PLAN)),
        # Else the client's standing preference...
        (None, None, ALWAYS, NumbingChoice(True, PREFERENCE)),
        (None, None, NEVER, NumbingChoice(False, PREFERENCE)),
        # ... unless it is to ask: nothing decides.
        (None, None, ASK, None),
    ],
)
def test_the_numbing_rule(
    asked: bool | None,
    plan_numbing: bool | None,
    preference: NumbingPreference,
    expected: NumbingChoice | None,
) -> None:
    assert choose_numbing(asked, preference=preference, plan_numbing=plan_numbing) == expected


def _create(client: TestClient, headers: Headers, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/clients", json={**MARA, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _patch(client: TestClient, headers: Headers, client_id: str, version: int, **body: Any) -> Any:
    return client.patch(
        f"/v1/clients/{client_id}", json=body, headers={**headers, "If-Match": f'"{version}"'}
    )


def test_numbing_preference_defaults_to_ask_and_front_desk_changes_it(
    client: TestClient, front_desk: Headers
) -> None:
    created = _create(client, front_desk)
    assert created["numbing_preference"] == "ask"
    assert created["comfort_notes"] is None
    changed = _patch(client, front_desk, created["id"], 1, numbing_preference="never")
    assert changed.status_code == 200, changed.text
    assert changed.json()["numbing_preference"] == "never"
    read = client.get(f"/v1/clients/{created['id']}", headers=front_desk).json()
    assert read["numbing_preference"] == "never"
    always = _create(client, front_desk, email="other@example.org", numbing_preference="always")
    assert always["numbing_preference"] == "always"


@pytest.mark.parametrize(
    "body", [{"numbing_preference": "sometimes"}, {"numbing_preference": None}]
)
def test_an_unknown_or_null_preference_is_422(
    client: TestClient, front_desk: Headers, body: dict[str, Any]
) -> None:
    created = _create(client, front_desk)
    response = _patch(client, front_desk, created["id"], 1, **body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["numbing_preference"]


def test_comfort_notes_are_read_and_written_by_clinicians_only(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    front_desk: Headers,
    integration: Headers,
) -> None:
    created = _create(client, clinician, comfort_notes=NOTES)
    assert created["comfort_notes"] == NOTES
    path = f"/v1/clients/{created['id']}"
    assert client.get(path, headers=clinician).json()["comfort_notes"] == NOTES
    assert client.get(path, headers=admin).json()["comfort_notes"] == NOTES
    # Front desk reads the client, with the notes null (the field stays in the schema).
    as_front_desk = client.get(path, headers=front_desk).json()
    assert as_front_desk["comfort_notes"] is None
    assert as_front_desk["first_name"] == "Marabella"
    listed = client.get("/v1/clients", params={"q": "quenstedt"}, headers=front_desk).json()
    assert [c["comfort_notes"] for c in listed["items"]] == [None]
    # Front desk's own update answers with the notes null too, and leaves them alone.
    updated = _patch(client, front_desk, created["id"], 1, phone="+49 30 1234567")
    assert updated.status_code == 200, updated.text
    assert updated.json()["comfort_notes"] is None
    assert client.get(path, headers=clinician).json()["comfort_notes"] == NOTES
    # Neither front desk nor an integration may write them, not even null.
    for value in ("x", None):
        refused = _patch(client, front_desk, created["id"], 2, comfort_notes=value)
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"] == "/problems/forbidden"
    for headers in (front_desk, integration):
        refused = client.post("/v1/clients", json={**MARA, "comfort_notes": "x"}, headers=headers)
        assert refused.status_code == 403, refused.text
    # An integration key still creates clients without them, and learns the id only.
    made = client.post(
        "/v1/clients", json={**MARA, "numbing_preference": "never"}, headers=integration
    )
    assert made.status_code == 201, made.text
    assert made.json() == {"id": made.json()["id"]}
    # A clinician clears them.
    cleared = _patch(client, clinician, created["id"], 2, comfort_notes=None)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["comfort_notes"] is None


def test_comfort_notes_are_at_most_2000_characters(client: TestClient, clinician: Headers) -> None:
    refused = client.post(
        "/v1/clients", json={**MARA, "comfort_notes": "x" * 2001}, headers=clinician
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["comfort_notes"]
    assert _create(client, clinician, comfort_notes="x" * 2000)["comfort_notes"] == "x" * 2000


def _client_events(client: TestClient, headers: Headers, client_id: str) -> list[dict[str, Any]]:
    response = client.get("/v1/events", params={"types": "client.*"}, headers=headers)
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["subject"]["id"] == client_id]


def test_the_change_feed_shows_comfort_notes_to_the_roles_that_read_them(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    front_desk: Headers,
    integration: Headers,
) -> None:
    created = _create(client, clinician, comfort_notes=NOTES)
    assert _patch(client, clinician, created["id"], 1, comfort_notes=NOTES + " Again.").is_success
    for headers in (admin, clinician):
        events = _client_events(client, headers, created["id"])
        assert [e["type"] for e in events] == ["client.created", "client.updated"]
        assert [e["data"]["comfort_notes"] for e in events] == [NOTES, NOTES + " Again."]
    events = _client_events(client, front_desk, created["id"])
    assert [e["type"] for e in events] == ["client.created", "client.updated"]
    assert [e["data"]["comfort_notes"] for e in events] == [None, None]
    assert all(e["data"]["first_name"] == "Marabella" for e in events)
    events = _client_events(client, integration, created["id"])
    assert [e["data"] for e in events] == [{"id": created["id"]}] * 2
    whole_feed = client.get("/v1/events", headers=integration).text
    assert "needles" not in whole_feed
    assert "comfort_notes" not in whole_feed
    assert "needles" not in client.get("/v1/events", headers=front_desk).text


def test_webhook_payloads_show_comfort_notes_to_the_endpoints_role_as_the_feed_does() -> None:
    """A webhook endpoint's role reads an event as the feed shows it to a key of that role
    (``read_as``, which the delivery worker signs): front desk endpoints get the notes null."""
    event = Event(
        id="e",
        type="client.updated",
        subject_kind="client",
        subject_id="c",
        data={"id": "c", "first_name": "Marabella", "comfort_notes": NOTES},
        data_private={"id": "c"},
    )
    assert read_as(event, Role.admin).data["comfort_notes"] == NOTES
    assert read_as(event, Role.clinician).data["comfort_notes"] == NOTES
    front_desk = read_as(event, Role.front_desk).data
    assert front_desk == {"id": "c", "first_name": "Marabella", "comfort_notes": None}
    assert read_as(event, Role.integration).data == {"id": "c"}
    assert event.data["comfort_notes"] == NOTES  # the stored payload is left as it was


def test_no_log_line_holds_comfort_notes_or_names(
    client: TestClient,
    clinician: Headers,
    front_desk: Headers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        created = _create(client, clinician, comfort_notes=NOTES, numbing_preference="always")
        assert _patch(client, clinician, created["id"], 1, comfort_notes=NOTES + "!").is_success
        # Refusals too: too long, and written by a role that may not.
        assert (
            _patch(client, clinician, created["id"], 2, comfort_notes=NOTES * 40).status_code == 422
        )
        assert _patch(client, front_desk, created["id"], 2, comfort_notes=NOTES).status_code == 403
        assert client.get(f"/v1/clients/{created['id']}", headers=clinician).is_success
    assert caplog.records, "the access log should have written lines"
    for record in caplog.records:
        line = record.getMessage()
        for secret in ("needles", "Marabella", "Quenstedt", "mara.q@"):
            assert secret not in line, (record.name, line)
    assert "needles" not in caplog.text
    assert "Quenstedt" not in caplog.text
