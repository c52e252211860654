"""How a session reads is built as plain values (sessions/views.py ``session_document``, issue
12): a GET, a page and a day schedule render them straight to JSON, unvalidated, so every value
must already be what the schema says, or the JSON would drift from the OpenAPI document. Each
way of reading a session is read here with pydantic's serialisation warnings turned into errors,
validated back against the schema, and compared with the validated model a write answers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from needleplan.sessions.schemas import DaySchedule, SessionPage, SessionRead
from tests.conftest import Headers
from tests.factories import booking, future_day, local, make_client, make_clinic


@pytest.fixture
def strict_serialisation() -> Iterator[None]:
    """A value of the wrong type makes pydantic warn while it serialises: fail instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_read_of_a_session_matches_its_schema_exactly(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    integration: Headers,
    strict_serialisation: None,
) -> None:
    clinic = make_clinic(client, admin, rooms=2)
    cautious = make_client(client, clinician, name="Cautious", conditions=("sensitive_skin",))
    plain = make_client(client, clinician, name="Plain")
    day = future_day(6)
    numbed = _ok(
        client.post(
            "/v1/sessions",
            json=booking(clinic, cautious, local(day, "10:00"), numbing=True, notes="Left side."),
            headers=clinician,
        )
    )
    cancelled = _ok(
        client.post(
            "/v1/sessions",
            json=booking(clinic, plain, local(day, "14:00"), room=1, areas=["lips"]),
            headers=clinician,
        )
    )
    cancelled = _ok(
        client.post(
            f"/v1/sessions/{cancelled['id']}/cancel",
            json={"reason": "Client called: flu."},
            headers={**clinician, "If-Match": f'"{cancelled["version"]}"'},
        )
    )
    reads = [
        _ok(client.get(f"/v1/sessions/{numbed['id']}", headers=clinician)),
        _ok(client.get(f"/v1/sessions/{cancelled['id']}", headers=clinician)),
    ]
    for read in reads:
        assert SessionRead.model_validate(read).model_dump(mode="json") == read
    assert reads[0] == numbed  # the booking's answer (an ORM object) reads the same as a GET
    assert reads[0]["cautions"] == [{"code": "sensitive_skin", "acknowledged": False}]
    assert [s["kind"] for s in reads[0]["segments"]] == ["numbing", "treatment", "turnover"]
    assert reads[1]["status"] == "cancelled"
    assert reads[1]["cancel_reason"] == "Client called: flu."
    # An integration key reads the same session without its notes and cautions.
    private = _ok(client.get(f"/v1/sessions/{numbed['id']}", headers=integration))
    assert SessionRead.model_validate(private).model_dump(mode="json") == private
    assert private == {**numbed, "cautions": None, "notes": None}

    page = _ok(client.get("/v1/sessions", headers=clinician))
    assert SessionPage.model_validate(page).model_dump(mode="json") == page
    assert {s["id"] for s in page["items"]} == {numbed["id"], cancelled["id"]}
    schedule = _ok(
        client.get(
            f"/v1/providers/{clinic.provider_ids[0]}/schedule",
            params={"date": day.isoformat()},
            headers=clinician,
        )
    )
    assert DaySchedule.model_validate(schedule).model_dump(mode="json") == schedule
    assert [s["id"] for s in schedule["sessions"]] == [numbed["id"]]  # cancelled: left out
