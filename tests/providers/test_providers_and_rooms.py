from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from needleplan.providers.working_plan import PlanInterval, plan_conflicts
from tests.conftest import Headers


def _location(client: TestClient, admin: Headers) -> str:
    response = client.post(
        "/v1/locations", json={"name": "Mitte", "time_zone": "Europe/Berlin"}, headers=admin
    )
    location_id: str = response.json()["id"]
    return location_id


def _provider(client: TestClient, admin: Headers) -> str:
    response = client.post(
        "/v1/providers", json={"name": "Dr. Hoffmann", "profession": "dermatologist"}, headers=admin
    )
    assert response.status_code == 201, response.text
    provider_id: str = response.json()["id"]
    return provider_id


def _interval(location_id: str, weekday: str, start: str, end: str) -> dict[str, Any]:
    return {"location_id": location_id, "weekday": weekday, "start_time": start, "end_time": end}


def test_rooms_belong_to_a_location_with_unique_names(client: TestClient, admin: Headers) -> None:
    location_id = _location(client, admin)
    room = client.post(
        "/v1/rooms", json={"location_id": location_id, "name": "Room 1"}, headers=admin
    )
    assert room.status_code == 201
    duplicate = client.post(
        "/v1/rooms", json={"location_id": location_id, "name": "Room 1"}, headers=admin
    )
    assert duplicate.status_code == 409
    listed = client.get("/v1/rooms", params={"location_id": location_id}, headers=admin).json()[
        "items"
    ]
    assert [r["name"] for r in listed] == ["Room 1"]


def test_an_unknown_location_in_a_body_is_a_422_naming_the_field(
    client: TestClient, admin: Headers
) -> None:
    response = client.post(
        "/v1/rooms", json={"location_id": "nope", "name": "Room 1"}, headers=admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "location_id"


def test_working_plan_round_trip_in_local_wall_time(client: TestClient, admin: Headers) -> None:
    location_id = _location(client, admin)
    provider_id = _provider(client, admin)
    plan = {
        "intervals": [
            _interval(location_id, "tuesday", "13:00", "17:00"),
            _interval(location_id, "monday", "09:00", "12:00"),
            _interval(location_id, "monday", "12:00", "17:30"),
        ]
    }
    put = client.put(f"/v1/providers/{provider_id}/working-plan", json=plan, headers=admin)
    assert put.status_code == 200, put.text
    got = client.get(f"/v1/providers/{provider_id}/working-plan", headers=admin).json()
    assert [(i["weekday"], i["start_time"], i["end_time"]) for i in got["intervals"]] == [
        ("monday", "09:00", "12:00"),
        ("monday", "12:00", "17:30"),
        ("tuesday", "13:00", "17:00"),
    ]


def test_overlapping_or_backwards_intervals_are_refused(client: TestClient, admin: Headers) -> None:
    location_id = _location(client, admin)
    provider_id = _provider(client, admin)
    overlapping = {
        "intervals": [
            _interval(location_id, "monday", "09:00", "12:00"),
            _interval(location_id, "monday", "11:00", "13:00"),
        ]
    }
    response = client.put(
        f"/v1/providers/{provider_id}/working-plan", json=overlapping, headers=admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "intervals.1"
    backwards = {"intervals": [_interval(location_id, "monday", "12:00", "09:00")]}
    assert (
        client.put(
            f"/v1/providers/{provider_id}/working-plan", json=backwards, headers=admin
        ).status_code
        == 422
    )
    with_offset = {"intervals": [_interval(location_id, "monday", "09:00+01:00", "12:00")]}
    assert (
        client.put(
            f"/v1/providers/{provider_id}/working-plan", json=with_offset, headers=admin
        ).status_code
        == 422
    )


def test_exceptions_are_created_listed_and_deleted(client: TestClient, admin: Headers) -> None:
    location_id = _location(client, admin)
    provider_id = _provider(client, admin)
    path = f"/v1/providers/{provider_id}/exceptions"
    time_off = {
        "kind": "time_off",
        "starts_at": "2027-03-09T00:00:00+01:00",
        "ends_at": "2027-03-10T00:00:00+01:00",
    }
    created = client.post(path, json=time_off, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["starts_at"] == "2027-03-08T23:00:00Z"
    extra = {
        "kind": "extra_hours",
        "starts_at": "2027-03-13T10:00:00+01:00",
        "ends_at": "2027-03-13T14:00:00+01:00",
    }
    assert client.post(path, json=extra, headers=admin).status_code == 422  # needs a location
    extra["location_id"] = location_id
    assert client.post(path, json=extra, headers=admin).status_code == 201
    assert len(client.get(path, headers=admin).json()["items"]) == 2
    assert client.delete(f"{path}/{created.json()['id']}", headers=admin).status_code == 204
    assert len(client.get(path, headers=admin).json()["items"]) == 1
    assert client.delete(f"{path}/{created.json()['id']}", headers=admin).status_code == 404


def test_naive_datetimes_are_refused(client: TestClient, admin: Headers) -> None:
    provider_id = _provider(client, admin)
    naive = {
        "kind": "time_off",
        "starts_at": "2027-03-09T09:00:00",
        "ends_at": "2027-03-09T12:00:00",
    }
    response = client.post(f"/v1/providers/{provider_id}/exceptions", json=naive, headers=admin)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"starts_at", "ends_at"}


def test_unknown_provider_is_404(client: TestClient, admin: Headers) -> None:
    response = client.get(
        "/v1/providers/00000000-0000-7000-8000-000000000000/working-plan", headers=admin
    )
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"


minutes = st.integers(0, 24 * 60 - 1)


@given(st.lists(st.tuples(st.integers(1, 7), minutes, st.integers(1, 600)), max_size=8))
def test_plan_conflicts_match_brute_force(raw: list[tuple[int, int, int]]) -> None:
    from datetime import time

    intervals = []
    for weekday, start, length in raw:
        end = min(start + length, 24 * 60 - 1)
        if end <= start:
            continue
        intervals.append(
            PlanInterval(weekday, time(start // 60, start % 60), time(end // 60, end % 60), "loc")
        )
    expected = {
        (i, j)
        for i in range(len(intervals))
        for j in range(i + 1, len(intervals))
        if intervals[i].weekday == intervals[j].weekday
        and intervals[i].start_time < intervals[j].end_time
        and intervals[j].start_time < intervals[i].end_time
    }
    assert set(plan_conflicts(intervals)) == expected
