"""Screening, eligibility and overrides through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from needleplan.auth.roles import Role
from needleplan.kit.time import latest_today
from needleplan.models import AuditEvent
from needleplan.screening.catalogue import CONTRAINDICATION, DEFAULT_CONDITIONS
from tests.conftest import Headers, RollbackDatabase

ARTICLE_CONTRAINDICATIONS = [
    "active_acne",
    "active_eczema",
    "keloid_or_raised_scars",
    "open_wounds_or_sores",
    "keloid_history",
    "eczema_or_psoriasis_history",
    "sunburn_or_recent_sun_exposure",
    "blood_clotting_disorder",
    "poor_wound_healing",
]
# A fixed date in the past: a screening may not be dated in the future.
ON = date(2026, 6, 15)


def _client(client: TestClient, headers: Headers, born: str = "1990-05-17") -> str:
    body = {
        "first_name": "Ida",
        "last_name": "Test",
        "date_of_birth": born,
        "email": "ida@example.org",
    }
    response = client.post("/v1/clients", json=body, headers=headers)
    assert response.status_code == 201, response.text
    client_id: str = response.json()["id"]
    return client_id


def _screen(
    client: TestClient, headers: Headers, client_id: str, on: date, *conditions: str, **extra: Any
) -> Any:
    body = {"screened_on": on.isoformat(), "conditions": list(conditions), **extra}
    return client.post(f"/v1/clients/{client_id}/screenings", json=body, headers=headers)


def _eligibility(
    client: TestClient, headers: Headers, client_id: str, on: date = ON
) -> dict[str, Any]:
    response = client.get(
        f"/v1/clients/{client_id}/eligibility", params={"on": on.isoformat()}, headers=headers
    )
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


def test_the_catalogue_ships_every_spec_condition(client: TestClient, integration: Headers) -> None:
    items = client.get("/v1/screening-conditions?limit=200", headers=integration).json()["items"]
    shipped = {c["code"]: (c["kind"], c["temporary"]) for c in items}
    assert shipped == {code: (kind, temporary) for code, _, kind, temporary in DEFAULT_CONDITIONS}
    assert {c for c in ARTICLE_CONTRAINDICATIONS} <= {
        c for c, (k, _) in shipped.items() if k == CONTRAINDICATION
    }


@pytest.mark.parametrize("code", ARTICLE_CONTRAINDICATIONS)
def test_each_article_contraindication_makes_the_client_not_eligible(
    client: TestClient, clinician: Headers, code: str
) -> None:
    client_id = _client(client, clinician)
    assert _screen(client, clinician, client_id, ON, code).status_code == 201
    verdict = _eligibility(client, clinician, client_id)
    assert verdict["status"] == "not_eligible"
    assert [(r["code"], r["kind"], r["blocking"]) for r in verdict["reasons"]] == [
        (code, "contraindication", True)
    ]


@pytest.mark.parametrize("code", ["sensitive_skin", "blood_thinners"])
def test_cautions_alone_make_eligible_with_cautions(
    client: TestClient, clinician: Headers, code: str
) -> None:
    client_id = _client(client, clinician)
    _screen(client, clinician, client_id, ON, code)
    verdict = _eligibility(client, clinician, client_id)
    assert verdict["status"] == "eligible_with_cautions"
    assert [r["code"] for r in verdict["reasons"]] == [code]


def test_a_31_day_old_screening_has_expired(client: TestClient, clinician: Headers) -> None:
    client_id = _client(client, clinician)
    screening = _screen(client, clinician, client_id, ON - timedelta(days=31)).json()
    verdict = _eligibility(client, clinician, client_id)
    assert verdict["status"] == "not_eligible"
    assert [r["code"] for r in verdict["reasons"]] == ["screening_expired"]
    assert verdict["screening_id"] == screening["id"]
    assert verdict["valid_until"] == (ON - timedelta(days=1)).isoformat()
    assert (
        _eligibility(client, clinician, client_id, ON - timedelta(days=1))["status"] == "eligible"
    )


def test_a_client_turning_22_tomorrow_is_under_age(client: TestClient, clinician: Headers) -> None:
    born = date(2004, 6, 16)
    client_id = _client(client, clinician, born=born.isoformat())
    _screen(client, clinician, client_id, ON)
    verdict = _eligibility(client, clinician, client_id)
    assert [r["code"] for r in verdict["reasons"]] == ["under_age"]
    assert (
        _eligibility(client, clinician, client_id, ON + timedelta(days=1))["status"] == "eligible"
    )


def test_no_screening_is_not_eligible(client: TestClient, front_desk: Headers) -> None:
    client_id = _client(client, front_desk)
    assert [r["code"] for r in _eligibility(client, front_desk, client_id)["reasons"]] == [
        "no_screening"
    ]


def test_screenings_are_listed_newest_first_and_cannot_be_edited(
    client: TestClient, clinician: Headers
) -> None:
    client_id = _client(client, clinician)
    first = _screen(client, clinician, client_id, ON - timedelta(days=20), "active_acne").json()
    second = _screen(
        client, clinician, client_id, ON - timedelta(days=2), medications="none"
    ).json()
    listed = client.get(f"/v1/clients/{client_id}/screenings?limit=1", headers=clinician).json()
    assert [s["id"] for s in listed["items"]] == [second["id"]]
    rest = client.get(
        f"/v1/clients/{client_id}/screenings?cursor={listed['next_cursor']}", headers=clinician
    )
    assert [s["id"] for s in rest.json()["items"]] == [first["id"]]
    assert (
        client.patch(f"/v1/clients/{client_id}/screenings", json={}, headers=clinician).status_code
        == 405
    )
    assert _eligibility(client, clinician, client_id)["status"] == "eligible"


def test_unknown_condition_codes_are_named(client: TestClient, clinician: Headers) -> None:
    client_id = _client(client, clinician)
    response = _screen(client, clinician, client_id, ON, "sensitive_skin", "vampire_bite")
    assert response.status_code == 422
    assert "'vampire_bite'" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "conditions.1"


def test_a_screening_cannot_be_dated_in_the_future(client: TestClient, clinician: Headers) -> None:
    client_id = _client(client, clinician)
    # Today anywhere on Earth is accepted; the day after the latest "today" (UTC+14) is not.
    assert _screen(client, clinician, client_id, latest_today()).status_code == 201
    assert (
        _screen(client, clinician, client_id, latest_today() + timedelta(days=1)).status_code == 422
    )


def test_histories_persist_until_a_clinician_retracts_them(
    client: TestClient, clinician: Headers
) -> None:
    client_id = _client(client, clinician)
    _screen(client, clinician, client_id, ON - timedelta(days=40), "keloid_history")
    _screen(client, clinician, client_id, ON - timedelta(days=1))
    assert [r["code"] for r in _eligibility(client, clinician, client_id)["reasons"]] == [
        "keloid_history"
    ]
    missing_reason = client.post(
        f"/v1/clients/{client_id}/condition-retractions",
        json={"code": "keloid_history"},
        headers=clinician,
    )
    assert missing_reason.status_code == 422
    retracted = client.post(
        f"/v1/clients/{client_id}/condition-retractions",
        json={"code": "keloid_history", "reason": "mis-recorded: it was a freckle"},
        headers=clinician,
    )
    assert retracted.status_code == 201, retracted.text
    assert _eligibility(client, clinician, client_id)["status"] == "eligible"


@pytest.fixture
def overridden(client: TestClient, clinician: Headers) -> tuple[str, dict[str, Any]]:
    """A client screened with a blocking condition, and a clinician's override of it until ON."""
    client_id = _client(client, clinician)
    _screen(client, clinician, client_id, ON, "blood_clotting_disorder")
    body = {
        "reason": "Haematologist cleared the treatment.",
        "codes": ["blood_clotting_disorder"],
        "expires_on": ON.isoformat(),
    }
    created = client.post(
        f"/v1/clients/{client_id}/eligibility-overrides", json=body, headers=clinician
    )
    assert created.status_code == 201, created.text
    return client_id, created.json()


def test_a_clinician_override_accepts_a_block_until_it_expires(
    client: TestClient, clinician: Headers, overridden: tuple[str, dict[str, Any]]
) -> None:
    client_id, _ = overridden
    assert _eligibility(client, clinician, client_id)["status"] == "eligible_with_cautions"
    assert (
        _eligibility(client, clinician, client_id, ON + timedelta(days=1))["status"]
        == "not_eligible"
    )


def test_an_accepted_block_says_which_override_and_key_accepted_it(
    client: TestClient, clinician: Headers, overridden: tuple[str, dict[str, Any]]
) -> None:
    client_id, override = overridden
    accepted = _eligibility(client, clinician, client_id)["reasons"][0]["accepted_by"]
    assert accepted["override_id"] == override["id"]
    assert accepted["created_by_key_id"] == override["created_by_key_id"] is not None


def test_an_override_is_audited(
    overridden: tuple[str, dict[str, Any]], database: RollbackDatabase
) -> None:
    _, override = overridden
    with database.transaction() as db:
        audited = db.exec(select(AuditEvent).where(AuditEvent.resource_id == override["id"])).all()
    assert [(a.action, a.resource) for a in audited] == [("create", "eligibility_override")]


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "", "codes": ["under_age"], "expires_on": "2026-12-31"},
        {"codes": ["under_age"], "expires_on": "2026-12-31"},
        {"reason": "ok", "codes": [], "expires_on": "2026-12-31"},
        {"reason": "ok", "codes": ["flu"], "expires_on": "2026-12-31"},
    ],
)
def test_overrides_need_a_reason_and_known_codes(
    client: TestClient, clinician: Headers, body: dict[str, Any]
) -> None:
    client_id = _client(client, clinician)
    assert (
        client.post(
            f"/v1/clients/{client_id}/eligibility-overrides", json=body, headers=clinician
        ).status_code
        == 422
    )


@pytest.mark.parametrize("role", [Role.front_desk, Role.integration])
def test_only_clinicians_record_screenings_and_overrides(
    client: TestClient, key_for: Callable[[Role], Headers], clinician: Headers, role: Role
) -> None:
    client_id = _client(client, clinician)
    headers = key_for(role)
    assert _screen(client, headers, client_id, ON).status_code == 403
    body = {"reason": "x", "codes": ["under_age"], "expires_on": ON.isoformat()}
    assert (
        client.post(
            f"/v1/clients/{client_id}/eligibility-overrides", json=body, headers=headers
        ).status_code
        == 403
    )
    retraction = {"code": "keloid_history", "reason": "x"}
    assert (
        client.post(
            f"/v1/clients/{client_id}/condition-retractions", json=retraction, headers=headers
        ).status_code
        == 403
    )


def test_integration_sees_the_status_only(
    client: TestClient, clinician: Headers, integration: Headers
) -> None:
    client_id = _client(client, clinician)
    _screen(
        client, clinician, client_id, ON, "pregnancy", medications="folic acid", notes="due in May"
    )
    verdict = _eligibility(client, integration, client_id)
    assert verdict == {"client_id": client_id, "on": ON.isoformat(), "status": "not_eligible"}
    assert client.get(f"/v1/clients/{client_id}/screenings", headers=integration).status_code == 403
    assert (
        client.get(
            f"/v1/clients/{client_id}/eligibility-overrides", headers=integration
        ).status_code
        == 403
    )


def test_the_catalogue_is_editable_by_admin_only(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    body = {
        "code": "recent_laser",
        "name": "Laser treatment in the last 4 weeks",
        "kind": "caution",
        "temporary": True,
    }
    assert client.post("/v1/screening-conditions", json=body, headers=clinician).status_code == 403
    assert client.post("/v1/screening-conditions", json=body, headers=admin).status_code == 201
    patched = client.patch(
        "/v1/screening-conditions/recent_laser",
        json={"kind": "contraindication"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert patched.status_code == 200
    client_id = _client(client, clinician)
    _screen(client, clinician, client_id, ON, "recent_laser")
    assert _eligibility(client, clinician, client_id)["status"] == "not_eligible"


def test_unknown_client_is_404(client: TestClient, clinician: Headers) -> None:
    missing = "00000000-0000-7000-8000-000000000000"
    assert client.get(f"/v1/clients/{missing}/eligibility", headers=clinician).status_code == 404
    assert _screen(client, clinician, missing, ON).status_code == 404
