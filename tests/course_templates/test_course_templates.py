"""Course templates (issue 15, point 3; docs/domain.md#course-templates): the catalogue, and
treatment plans made from a template."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from needleplan.kit.statuses import NumbingPreference
from needleplan.models import Client, Device, Room
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booking, local, make_client, make_clinic
from tests.plans.test_plans import FIRST

# The shipped defaults, as docs/domain.md#course-templates lists them with their sources.
DEFAULTS = {
    "acne_scars": (["full_face"], "intensive", 4, 28, 42, True),
    "fine_lines": (["full_face"], "standard", 4, 28, 42, True),
    "stretch_marks": (["abdomen"], "standard", 4, 28, 42, True),
    "maintenance": (["full_face"], "light", 1, 28, 42, True),
}

TEMPLATE = {
    "code": "rf_scars",
    "name": "RF acne scars",
    "indication": "acne scars",
    "areas": ["full_face", "neck"],
    "intensity": "intensive",
    "sessions_planned": 3,
    "interval_min_days": 35,
    "interval_max_days": 49,
    "numbing": True,
}


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, providers=2)


def _device(database: RollbackDatabase, code: str, *, active: bool = True) -> str:
    """A device row (the device catalogue's API is its own package's; its rows are enough here)."""
    with database.transaction() as db:
        db.add(Device(code=code, name=code.title(), area_minutes={}, active=active))
    return code


def _rooms_hold(database: RollbackDatabase, clinic: Clinic, device: str) -> None:
    """Every room of the clinic holds ``device``: a course with a device books only such rooms."""
    with database.transaction() as db:
        for room_id in clinic.room_ids:
            room = db.get(Room, room_id)
            assert room is not None
            room.device_codes = [*room.device_codes, device]


def _prefer(database: RollbackDatabase, client_id: str, preference: NumbingPreference) -> None:
    with database.transaction() as db:
        person = db.get(Client, client_id)
        assert person is not None
        person.numbing_preference = preference


def _figures(template: dict[str, Any]) -> tuple[Any, ...]:
    return (
        template["areas"],
        template["intensity"],
        template["sessions_planned"],
        template["interval_min_days"],
        template["interval_max_days"],
        template["numbing"],
    )


def _plan_body(clinic: Clinic, client_id: str, **extra: Any) -> dict[str, Any]:
    return {"client_id": client_id, "location_id": clinic.location_id, **extra}


def _errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


# The catalogue


def test_migrate_installs_the_defaults_and_every_role_reads_them(
    client: TestClient, integration: Headers
) -> None:
    page = client.get("/v1/course-templates?limit=200", headers=integration)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert {t["code"]: _figures(t) for t in items} == DEFAULTS
    assert all(t["device"] is None and t["active"] for t in items)
    one = client.get("/v1/course-templates/acne_scars", headers=integration)
    assert one.status_code == 200
    assert one.headers["ETag"] == '"1"'
    assert one.json()["indication"] == "acne scars"


def test_admin_creates_a_template_with_a_device(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    rf = _device(database, "rf")
    created = client.post("/v1/course-templates", json={**TEMPLATE, "device": rf}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/v1/course-templates/rf_scars"
    assert created.headers["ETag"] == '"1"'
    body = created.json()
    assert body["device"] == "rf"
    assert body["active"] is True
    assert _figures(body) == (["full_face", "neck"], "intensive", 3, 35, 49, True)
    again = client.post("/v1/course-templates", json=TEMPLATE, headers=admin)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/already-exists"


def test_the_list_pages_by_code(client: TestClient, admin: Headers) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/course-templates", params=params, headers=admin).json()
        seen += [t["code"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(DEFAULTS)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"areas": ["full_face", "elbow"]}, "areas.1"),
        ({"areas": ["neck", "neck"]}, "areas.1"),
        ({"areas": []}, "areas"),
        ({"device": "laser"}, "device"),
        ({"sessions_planned": 13}, "sessions_planned"),
        ({"sessions_planned": 0}, "sessions_planned"),
        ({"interval_min_days": 0}, "interval_min_days"),
        ({"interval_max_days": 366}, "interval_max_days"),
        ({"intensity": "extreme"}, "intensity"),
        ({"numbing": "yes"}, "numbing"),
        ({"code": "Acne Scars"}, "code"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_template_is_validated_like_a_plan(
    client: TestClient, admin: Headers, change: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/course-templates", json={**TEMPLATE, **change}, headers=admin)
    assert field in _errors(response)


def test_the_interval_bounds_are_ordered_and_the_device_active(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    reversed_ = {**TEMPLATE, "interval_min_days": 50, "interval_max_days": 40}
    assert client.post("/v1/course-templates", json=reversed_, headers=admin).status_code == 422
    retired = _device(database, "old_pen", active=False)
    response = client.post(
        "/v1/course-templates", json={**TEMPLATE, "device": retired}, headers=admin
    )
    assert _errors(response) == ["device"]
    assert response.json()["errors"][0]["code"] == "inactive"


def test_patch_needs_if_match_and_merges(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    path = "/v1/course-templates/fine_lines"
    assert client.patch(path, json={"sessions_planned": 5}, headers=admin).status_code == 428
    stale = client.patch(path, json={"sessions_planned": 5}, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    pen = _device(database, "pen")
    patched = client.patch(
        path, json={"sessions_planned": 5, "device": pen}, headers={**admin, "If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    assert patched.headers["ETag"] == '"2"'
    assert (patched.json()["sessions_planned"], patched.json()["device"]) == (5, "pen")
    assert patched.json()["areas"] == ["full_face"]  # untouched
    cleared = client.patch(path, json={"device": None}, headers={**admin, "If-Match": '"2"'})
    assert cleared.json()["device"] is None
    # The stored maximum (42) bounds a new minimum.
    response = client.patch(
        path, json={"interval_min_days": 43}, headers={**admin, "If-Match": '"3"'}
    )
    assert _errors(response) == ["interval_min_days"]
    renamed = client.patch(path, json={"code": "lines"}, headers={**admin, "If-Match": '"3"'})
    assert renamed.json()["errors"][0]["code"] == "extra_forbidden"
    assert (
        client.patch(path, json={"areas": None}, headers={**admin, "If-Match": '"3"'}).status_code
        == 422
    )
    missing = client.patch(
        "/v1/course-templates/nope", json={"name": "x"}, headers={**admin, "If-Match": '"1"'}
    )
    assert missing.status_code == 404


def test_only_admins_write_templates(
    client: TestClient, clinician: Headers, front_desk: Headers, integration: Headers
) -> None:
    assert client.post("/v1/course-templates", json=TEMPLATE, headers=clinician).status_code == 403
    patch = client.patch(
        "/v1/course-templates/maintenance",
        json={"active": False},
        headers={**front_desk, "If-Match": '"1"'},
    )
    assert patch.status_code == 403
    assert patch.json()["type"] == "/problems/forbidden"
    assert client.get("/v1/course-templates/nope", headers=integration).status_code == 404


# Plans made from a template


def test_a_plan_from_the_acne_scar_template_follows_it(
    client: TestClient,
    clinic: Clinic,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    pen = _device(database, "pen")
    _rooms_hold(database, clinic, pen)
    client.patch(
        "/v1/course-templates/acne_scars",
        json={"device": pen},
        headers={**admin, "If-Match": '"1"'},
    )
    alice = make_client(client, clinician, name="Alice")
    _prefer(database, alice, NumbingPreference.ask)
    created = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, template="acne_scars"),
        headers=front_desk,
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["template"] == "acne_scars"
    assert plan["areas"] == ["full_face"]
    assert plan["intensity"] == "intensive"
    assert plan["device"] == "pen"
    assert plan["numbing"] is True  # the template's, though the client's preference is `ask`
    assert plan["sessions_planned"] == 4
    assert (plan["min_interval_days"], plan["max_interval_days"]) == (28, 42)

    # The course is proposed 4–6 weeks apart: each session at the earliest date of its window.
    path = f"/v1/treatment-plans/{plan['id']}/course-proposal"
    proposed = client.post(path, json={"from": local(FIRST, "10:00")}, headers=front_desk)
    assert proposed.status_code == 200, proposed.text
    days = [p["starts_at"][:10] for p in proposed.json()["proposals"]]
    assert days == [(FIRST + timedelta(days=28 * k)).isoformat() for k in range(4)]

    # After a first session, the next one is looked for 28 to 42 days later.
    first = client.post(
        "/v1/sessions",
        json=booking(clinic, alice, local(FIRST, "10:00"), plan_id=plan["id"], numbing=True),
        headers=front_desk,
    )
    assert first.status_code == 201, first.text
    found = client.get(f"/v1/treatment-plans/{plan['id']}/next-slots?limit=3", headers=front_desk)
    assert found.status_code == 200, found.text
    window = found.json()["window"]
    assert window["session_number"] == 2
    assert window["earliest_date"] == (FIRST + timedelta(days=28)).isoformat()
    assert window["latest_date"] == (FIRST + timedelta(days=42)).isoformat()
    assert found.json()["slots"]
    for slot in found.json()["slots"]:
        assert window["earliest_date"] <= slot["starts_at"][:10] <= window["latest_date"]


def test_the_body_overrides_the_template(
    client: TestClient,
    clinic: Clinic,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    pen = _device(database, "pen")
    client.patch(
        "/v1/course-templates/acne_scars",
        json={"device": pen},
        headers={**admin, "If-Match": '"1"'},
    )
    alice = make_client(client, clinician, name="Alice")
    body = _plan_body(
        clinic,
        alice,
        template="acne_scars",
        areas=["neck"],
        intensity="light",
        device=None,
        numbing=False,
        sessions_planned=6,
        min_interval_days=30,
        max_interval_days=45,
    )
    created = client.post("/v1/treatment-plans", json=body, headers=front_desk)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert (plan["areas"], plan["intensity"], plan["device"], plan["numbing"]) == (
        ["neck"],
        "light",
        None,
        False,
    )
    assert (plan["sessions_planned"], plan["min_interval_days"], plan["max_interval_days"]) == (
        6,
        30,
        45,
    )
    assert plan["template"] == "acne_scars"
    # One bound from the body, the other from the template: they must still be ordered.
    late = _plan_body(clinic, alice, template="acne_scars", min_interval_days=43)
    assert _errors(client.post("/v1/treatment-plans", json=late, headers=front_desk)) == [
        "min_interval_days"
    ]


def test_a_template_changed_later_leaves_its_plans_alone(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    alice = make_client(client, clinician, name="Alice")
    plan = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, template="fine_lines"),
        headers=front_desk,
    ).json()
    client.patch(
        "/v1/course-templates/fine_lines",
        json={"sessions_planned": 6},
        headers={**admin, "If-Match": '"1"'},
    )
    again = client.get(f"/v1/treatment-plans/{plan['id']}", headers=front_desk).json()
    assert again["sessions_planned"] == 4


def test_unknown_or_inactive_templates_are_refused(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    alice = make_client(client, clinician, name="Alice")
    unknown = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, template="tattoo_removal"),
        headers=front_desk,
    )
    assert _errors(unknown) == ["template"]
    client.patch(
        "/v1/course-templates/maintenance",
        json={"active": False},
        headers={**admin, "If-Match": '"1"'},
    )
    retired = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, template="maintenance"),
        headers=front_desk,
    )
    assert _errors(retired) == ["template"]
    assert retired.json()["errors"][0]["code"] == "inactive"


def test_without_a_template_areas_are_required(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    alice = make_client(client, clinician, name="Alice")
    response = client.post(
        "/v1/treatment-plans", json=_plan_body(clinic, alice, numbing=False), headers=front_desk
    )
    assert _errors(response) == ["areas"]
    plain = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, areas=["lips"], numbing=False),
        headers=front_desk,
    )
    assert plain.status_code == 201, plain.text
    assert (plain.json()["template"], plain.json()["device"]) == (None, None)
    assert plain.json()["sessions_planned"] == 3


@pytest.mark.parametrize(
    ("preference", "numbing"),
    [
        (NumbingPreference.always, True),
        (NumbingPreference.never, False),
        (NumbingPreference.ask, None),
    ],
)
def test_without_numbing_or_template_the_clients_preference_decides(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
    preference: NumbingPreference,
    numbing: bool | None,
) -> None:
    alice = make_client(client, clinician, name="Alice")
    _prefer(database, alice, preference)
    response = client.post(
        "/v1/treatment-plans", json=_plan_body(clinic, alice, areas=["lips"]), headers=front_desk
    )
    if numbing is None:
        assert _errors(response) == ["numbing"]
        assert response.json()["errors"][0]["code"] == "numbing_required"
    else:
        assert response.status_code == 201, response.text
        assert response.json()["numbing"] is numbing


@pytest.mark.parametrize(
    ("preference", "numbing"),
    [
        (NumbingPreference.never, False),  # the client's standing answer wins over the course's
        (NumbingPreference.always, True),
        (NumbingPreference.ask, True),  # the template's (stretch_marks numbs)
    ],
)
def test_the_clients_standing_preference_decides_numbing_before_the_template(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
    preference: NumbingPreference,
    numbing: bool,
) -> None:
    alice = make_client(client, clinician, name="Alice")
    _prefer(database, alice, preference)
    plan = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, template="stretch_marks"),
        headers=front_desk,
    )
    assert plan.status_code == 201, plan.text
    assert (plan.json()["numbing"], plan.json()["areas"]) == (numbing, ["abdomen"])


def test_a_plans_device_is_checked_and_patched(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    alice = make_client(client, clinician, name="Alice")
    unknown = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, areas=["lips"], numbing=False, device="laser"),
        headers=front_desk,
    )
    assert _errors(unknown) == ["device"]
    pen = _device(database, "pen")
    plan = client.post(
        "/v1/treatment-plans",
        json=_plan_body(clinic, alice, areas=["lips"], numbing=False, device=pen),
        headers=front_desk,
    )
    assert plan.status_code == 201, plan.text
    assert plan.json()["device"] == "pen"
    path = f"/v1/treatment-plans/{plan.json()['id']}"
    wrong = client.patch(path, json={"device": "laser"}, headers={**front_desk, "If-Match": '"1"'})
    assert _errors(wrong) == ["device"]
    cleared = client.patch(path, json={"device": None}, headers={**front_desk, "If-Match": '"1"'})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["device"] is None
    rf = _device(database, "rf")
    again = client.patch(path, json={"device": rf}, headers={**front_desk, "If-Match": '"2"'})
    assert again.json()["device"] == "rf"
