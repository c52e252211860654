"""Availability (issue 5 item 4): the slot finder against brute force, and through the API
against the booking engine itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st

from needleplan.availability.slots import Offsets, RoomFree, Slot, expand, find_runs
from needleplan.kit.localtime import local_instant
from needleplan.scheduling.intervals import Interval, subtract
from needleplan.scheduling.minutes import MinuteLine
from tests.conftest import Headers
from tests.factories import BERLIN, Clinic, booking, future_day, local, make_client, make_clinic

# Days around a DST change: Berlin's spring change (2027-03-28, one hour) and Lord Howe
# Island's autumn change (2027-04-04, half an hour, which moves a 60-minute grid's phase).
PLACES = [(BERLIN, date(2027, 3, 26)), (ZoneInfo("Australia/Lord_Howe"), date(2027, 4, 2))]


@dataclass(frozen=True)
class _Room:
    room_id: str
    name: str
    free: list[Interval]


def _brute_force(
    providers: dict[str, list[Interval]],
    rooms: list[_Room],
    offsets: Offsets,
    earliest: datetime,
    latest: datetime,
    grid: int,
    zone: ZoneInfo,
) -> list[Slot]:
    """Try every whole minute: the definition, with no cleverness."""
    slots = []
    t = earliest.replace(second=0, microsecond=0)
    if t < earliest:
        t += timedelta(minutes=1)
    while t < latest:
        local_t = t.astimezone(zone)
        if (local_t.hour * 60 + local_t.minute) % grid == 0:
            treatment = Interval(
                t + timedelta(minutes=offsets.numbing),
                t + timedelta(minutes=offsets.client_minutes),
            )
            stay = Interval(t, t + timedelta(minutes=offsets.total))
            for provider_id, free in sorted(providers.items()):
                if not any(piece.contains(treatment) for piece in free):
                    continue
                for room in sorted(rooms, key=lambda r: r.name):
                    if any(piece.contains(stay) for piece in room.free):
                        slots.append(Slot(t, provider_id, room.room_id))
                        break
        t += timedelta(minutes=1)
    return slots


Spans = list[tuple[int, int, int]]  # (day offset, local minute of the day, length)


def _local(spans: Spans, day0: date, zone: ZoneInfo) -> list[Interval]:
    intervals = []
    for day_offset, start, length in spans:
        day = day0 + timedelta(days=day_offset)
        begin = local_instant(day, time(0), zone) + timedelta(minutes=start)
        intervals.append(Interval(begin, begin + timedelta(minutes=length)))
    return intervals


intervals = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 22 * 60), st.integers(15, 300)), max_size=5
)


@settings(max_examples=200, deadline=None)
@example(  # Lord Howe's clocks go back half an hour at 02:00: an hourly grid changes phase
    place=PLACES[1],
    provider_work=[[(2, 0, 360)]],
    provider_busy=[[], [], []],
    room_busy=[[]],
    numbing=0,
    treatment=15,
    turnover=0,
    grid=60,
    window=(2 * 24 * 60, 600),
)
@given(
    place=st.sampled_from(PLACES),
    provider_work=st.lists(intervals, min_size=1, max_size=3),
    provider_busy=st.lists(intervals, min_size=3, max_size=3),
    room_busy=st.lists(intervals, min_size=1, max_size=3),
    numbing=st.sampled_from([0, 20, 30]),
    treatment=st.sampled_from([15, 40, 55, 90]),
    turnover=st.sampled_from([0, 10]),
    grid=st.sampled_from([5, 15, 30, 60]),
    window=st.tuples(st.integers(0, 3 * 24 * 60), st.integers(60, 24 * 60)),
)
def test_slots_match_brute_force(
    place: tuple[ZoneInfo, date],
    provider_work: list[Spans],
    provider_busy: list[Spans],
    room_busy: list[Spans],
    numbing: int,
    treatment: int,
    turnover: int,
    grid: int,
    window: tuple[int, int],
) -> None:
    zone, day0 = place
    providers = {
        f"p{i}": subtract(_local(work, day0, zone), _local(provider_busy[i], day0, zone))
        for i, work in enumerate(provider_work)
    }
    first_day, last_day = day0 - timedelta(days=2), day0 + timedelta(days=6)
    everything = [
        Interval(
            datetime.combine(first_day, time(0), UTC), datetime.combine(last_day, time(0), UTC)
        )
    ]
    rooms = [
        _Room(f"r{i}", f"Room {i}", subtract(everything, _local(busy, day0, zone)))
        for i, busy in enumerate(room_busy)
    ]
    offsets = Offsets(numbing, treatment, turnover)
    earliest = local_instant(day0, time(0), zone) + timedelta(minutes=window[0])
    latest = earliest + timedelta(minutes=window[1])
    # The finder sees free time as minutes on a line; the brute force keeps the intervals.
    line = MinuteLine.of_days(first_day, last_day)
    runs = find_runs(
        line=line,
        providers={p: line.covered(free) for p, free in providers.items()},
        rooms=[RoomFree(r.room_id, r.name, line.covered(r.free)) for r in rooms],
        offsets=offsets,
        earliest=earliest,
        latest=latest,
        zone=zone,
        grid=grid,
    )
    found = expand(runs, grid)
    assert found == _brute_force(providers, rooms, offsets, earliest, latest, grid, zone)


def _availability(client: TestClient, headers: Headers, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/availability", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_slot_books_and_nothing_bookable_is_missing(
    client: TestClient, admin: Headers, clinician: Headers, integration: Headers
) -> None:
    clinic = make_clinic(client, admin, rooms=2, providers=2, opens="09:00", closes="11:00")
    a, b, c = (make_client(client, clinician, name=n) for n in ("Alice", "Bea", "Cleo"))
    day = future_day(6)
    client.post(
        "/v1/sessions",
        json=booking(clinic, a, local(day, "09:10"), numbing=True),
        headers=integration,
    )
    client.post(
        "/v1/holds",
        json=booking(clinic, b, local(day, "09:40"), room=1, provider=1, areas=["lips"]),
        headers=integration,
    )
    params = {
        "areas": "under_eye",
        "numbing": "true",
        "from": local(day, "08:00"),
        "to": local(day, "11:30"),
        "location_id": clinic.location_id,
    }
    found = {
        (s["starts_at"], s["provider_id"], s["room_id"])
        for s in _availability(client, integration, **params)["slots"]
    }
    assert found
    # Brute force through the booking engine: hold every grid instant with every provider and
    # room, and release it again.
    bookable = set()
    t = datetime.fromisoformat(local(day, "08:00"))
    while t < datetime.fromisoformat(local(day, "11:30")):
        for provider in (0, 1):
            for room in (0, 1):
                body = booking(
                    clinic,
                    c,
                    t.isoformat(),
                    provider=provider,
                    room=room,
                    areas=["under_eye"],
                    numbing=True,
                )
                held = client.post("/v1/holds", json=body, headers=integration)
                if held.status_code == 201:
                    client.delete(f"/v1/holds/{held.json()['id']}", headers=integration)
                    bookable.add(
                        (t.isoformat(), clinic.provider_ids[provider], clinic.room_ids[room])
                    )
                    break  # the first free room by name
        t += timedelta(minutes=5)
    assert found == bookable


@dataclass(frozen=True)
class OpenHour:
    """Two rooms and two providers, open 09:00–10:00, and a search over that hour for lips."""

    clinic: Clinic
    day: date
    base: dict[str, str]


@pytest.fixture
def open_hour(client: TestClient, admin: Headers) -> OpenHour:
    clinic = make_clinic(client, admin, rooms=2, providers=2, opens="09:00", closes="10:00")
    day = future_day(6)
    base = {
        "areas": "lips",
        "from": local(day, "09:00"),
        "to": local(day, "10:00"),
        "location_id": clinic.location_id,
    }
    return OpenHour(clinic, day, base)


def test_a_search_offers_every_provider_in_the_first_free_room(
    client: TestClient, open_hour: OpenHour, integration: Headers
) -> None:
    clinic, day = open_hour.clinic, open_hour.day
    everything = _availability(client, integration, **open_hour.base)["slots"]
    assert {s["provider_id"] for s in everything} == set(clinic.provider_ids)
    assert {s["room_id"] for s in everything} == {clinic.room_ids[0]}  # first free room by name
    assert everything[0]["starts_at"] == local(day, "09:00")
    assert everything[0]["ends_at"] == local(day, "09:15")


def test_a_search_keeps_to_the_provider_and_room_it_names(
    client: TestClient, open_hour: OpenHour, integration: Headers
) -> None:
    clinic = open_hour.clinic
    one = _availability(
        client,
        integration,
        **open_hour.base,
        provider_id=clinic.provider_ids[1],
        room_id=clinic.room_ids[1],
    )
    assert {(s["provider_id"], s["room_id"]) for s in one["slots"]} == {
        (clinic.provider_ids[1], clinic.room_ids[1])
    }


def test_areas_given_one_by_one_add_up_their_minutes(
    client: TestClient, open_hour: OpenHour, integration: Headers
) -> None:
    base = open_hour.base
    repeated = client.get(
        "/v1/availability",
        params=[
            ("areas", "lips"),
            ("areas", "neck"),
            ("from", base["from"]),
            ("to", base["to"]),
            ("location_id", open_hour.clinic.location_id),
        ],
        headers=integration,
    )
    assert repeated.status_code == 200
    assert repeated.json()["slots"][0]["ends_at"] == local(open_hour.day, "09:35")  # 15 + 17.5


def test_a_search_over_more_than_a_month_is_refused(
    client: TestClient, open_hour: OpenHour, integration: Headers
) -> None:
    too_long = client.get(
        "/v1/availability",
        params={**open_hour.base, "to": local(open_hour.day + timedelta(days=32), "09:00")},
        headers=integration,
    )
    assert too_long.status_code == 422


def test_an_unknown_area_is_named_in_the_refusal(
    client: TestClient, open_hour: OpenHour, integration: Headers
) -> None:
    unknown = client.get(
        "/v1/availability", params={**open_hour.base, "areas": "lips,elbow"}, headers=integration
    )
    assert unknown.status_code == 422
    assert "'elbow'" in unknown.json()["detail"]


def test_an_availability_search_runs_a_fixed_number_of_queries(
    client: TestClient, admin: Headers, clinician: Headers, integration: Headers, database: Any
) -> None:
    """No N+1: the statement count does not grow with the range or the calendar's contents."""
    from sqlalchemy import event

    clinic = make_clinic(client, admin, rooms=3, providers=3)
    people = [make_client(client, clinician, name=f"P{i}") for i in range(3)]
    for offset in range(1, 12):
        for lane in range(3):
            body = booking(
                clinic, people[lane], local(future_day(offset), "10:00"), room=lane, provider=lane
            )
            assert client.post("/v1/sessions", json=body, headers=integration).status_code == 201
    # Recording the key's use (a write, at most once a minute per key) could fall on the first
    # search and make it look costlier: let a read take it before counting.
    assert client.get("/v1/locations", headers=integration).status_code == 200
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(database.connection, "before_cursor_execute", count)
    try:
        counts = []
        for days in (1, 10, 30):
            statements.clear()
            _availability(
                client,
                integration,
                areas="full_face",
                location_id=clinic.location_id,
                **{
                    "from": local(future_day(1), "00:00"),
                    "to": local(future_day(1 + days), "00:00"),
                },
            )
            counts.append(len(statements))
    finally:
        event.remove(database.connection, "before_cursor_execute", count)
    assert counts[0] == counts[1] == counts[2], counts
