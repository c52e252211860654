"""Sessions read as JSON kept by the values they are made of (sessions/reads.py, issue 12).

A kept document must read byte for byte as a fresh render, never outlive a change of what it is
made of (tests/app/test_cross_process.py changes them from another process), differ by role,
and be kept only when the row alone fixes the client's eligibility.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from needleplan.sessions import reads, repository
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    reads.forget_all()
    yield
    reads.forget_all()


def _booked(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _reads(client: TestClient, headers: Headers, session: dict[str, Any]) -> list[bytes]:
    """The bytes of the session's read by id, of a page and of its provider's day."""
    day = session["starts_at"][:10]
    answers = [
        client.get(f"/v1/sessions/{session['id']}", headers=headers),
        client.get("/v1/sessions", params={"client_id": session["client_id"]}, headers=headers),
        client.get(
            f"/v1/providers/{session['provider_id']}/schedule",
            params={"date": day, "location_id": session["location_id"]},
            headers=headers,
        ),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
    return [answer.content for answer in answers]


def test_a_kept_session_reads_byte_for_byte_as_a_fresh_render(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin)
    cautious = make_client(client, clinician, name="Cautious", conditions=("sensitive_skin",))
    session = _booked(
        client, clinician, booking(clinic, cautious, local(future_day(5), "10:00"), notes="Left.")
    )
    fresh = _reads(client, clinician, session)
    assert len(reads._rendered) == 1  # one session, kept once for all three reads
    kept = _reads(client, clinician, session)
    assert kept == fresh
    reads.forget_all()
    assert _reads(client, clinician, session) == fresh
    # The same JSON a page or a day embeds is the document a GET answers.
    assert fresh[0] in fresh[1]
    assert fresh[0] in fresh[2]


def test_an_integration_key_never_reads_what_a_clinician_read_kept(
    client: TestClient, admin: Headers, clinician: Headers, integration: Headers
) -> None:
    clinic = make_clinic(client, admin)
    cautious = make_client(client, clinician, name="Cautious", conditions=("sensitive_skin",))
    session = _booked(
        client, clinician, booking(clinic, cautious, local(future_day(5), "10:00"), notes="Left.")
    )
    _reads(client, clinician, session)
    read = client.get(f"/v1/sessions/{session['id']}", headers=integration).json()
    assert read["notes"] is None
    assert read["cautions"] is None
    assert client.get(f"/v1/sessions/{session['id']}", headers=clinician).json()["notes"] == "Left."


def test_a_client_without_a_summary_is_rendered_from_its_rows_and_not_kept(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    clinic = make_clinic(client, admin)
    cautious = make_client(client, clinician, name="Cautious", conditions=("sensitive_skin",))
    session = _booked(client, clinician, booking(clinic, cautious, local(future_day(5), "10:00")))
    with_summary = _reads(client, clinician, session)
    reads.forget_all()
    with database.session(write=True) as db:  # as rows written around the use cases leave it
        db.execute(
            text("DELETE FROM eligibility_summaries WHERE client_id = :id"), {"id": cautious}
        )
        db.commit()
    assert _reads(client, clinician, session) == with_summary
    assert len(reads._rendered) == 0


def test_at_most_kept_bytes_are_kept_the_least_recently_read_dropped_first(
    client: TestClient, admin: Headers, clinician: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = make_clinic(client, admin)
    someone = make_client(client, clinician, name="Someone")
    day = future_day(5)
    first, second, third = (
        _booked(client, clinician, booking(clinic, someone, local(day, wall)))
        for wall in ("09:00", "11:00", "13:00")
    )

    def read(session: dict[str, Any]) -> None:
        assert client.get(f"/v1/sessions/{session['id']}", headers=clinician).status_code == 200

    read(first)
    one = reads._kept_bytes  # the three sessions differ only in their times and ids
    assert one > 0
    monkeypatch.setattr(reads, "KEPT_BYTES", one * 5 // 2)  # room for two
    for session in (second, first, third):  # first read again before third comes
        read(session)
    kept_ids = {key[1][0] for key in reads._rendered}  # the stored row: its id first
    assert kept_ids == {first["id"], third["id"]}
    assert reads._kept_bytes <= reads.KEPT_BYTES


def test_a_stored_row_converts_to_exactly_the_read_row(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    """Reads select sessions as stored and convert only what they render
    (repository.typed_read): every column must come out as the typed read gives it, on each
    database, including dates, enumerations, booleans, JSON and empty values."""
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician, name="Typed")
    plan = client.post(
        "/v1/treatment-plans",
        json={
            "client_id": person,
            "location_id": clinic.location_id,
            "areas": ["full_face", "neck"],
            "numbing": True,
            "sessions_planned": 2,
        },
        headers=clinician,
    ).json()
    first = _booked(
        client,
        clinician,
        booking(
            clinic, person, local(future_day(3), "09:00"), plan_id=plan["id"], notes="Nervous."
        ),
    )
    second = _booked(
        client,
        clinician,
        booking(clinic, person, local(future_day(33), "09:00"), plan_id=plan["id"]),
    )
    # Moved closer to the next, the plan's later session needs a new date in a window.
    moved = client.patch(
        f"/v1/sessions/{first['id']}",
        json={"starts_at": local(future_day(20), "09:00")},
        headers={**clinician, "If-Match": f'"{first["version"]}"'},
    )
    assert moved.status_code == 200, moved.text
    loose = _booked(client, clinician, booking(clinic, person, local(future_day(4), "12:00")))
    cancelled = client.post(
        f"/v1/sessions/{loose['id']}/cancel", json={"reason": "Ill."}, headers=clinician
    )
    assert cancelled.status_code == 200, cancelled.text
    with database.session(write=False) as db:
        for session in (first, second, loose):
            typed = repository.session_read_row(db, session["id"])
            stored = repository.stored_session_row(db, session["id"])
            assert typed is not None
            assert stored is not None
            converted = repository.typed_read(db, stored)._mapping
            assert converted == dict(typed._mapping)
            assert [type(value) for value in converted.values()] == [
                type(value) for value in typed._mapping.values()
            ]
        # Each kind of value was there to convert: a plan's window dates, a cancel reason.
        assert repository.typed_read(db, stored).cancel_reason == "Ill."
        window = repository.session_read_row(db, second["id"])
        assert window is not None
        assert window.window_earliest_date is not None
