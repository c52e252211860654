"""No double booking under load: real server processes, real concurrent clients (issue 4 item 8).

Two uvicorn workers on SQLite, four on PostgreSQL, several hundred bookings fired at once at
overlapping slots of the same providers, rooms and clients. Afterwards the database itself must
show that no two live sessions overlap for any resource, and every request got 201 or 409.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from needleplan.durations.quote import segments_for
from tests.busy_day_check import summary_mismatches
from tests.conftest import server_url
from tests.factories import WEEK, future_day, local
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

LIVE_SERVER_WORKERS = 4 if server_url() else 2
BOOKINGS = 240
CONCURRENCY = 48


def _setup(server: LiveServer) -> dict[str, Any]:
    admin = server.admin_headers
    clinician = server.key_for("clinician")
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        location = http.post(
            "/v1/locations", json={"name": "Load", "time_zone": "Europe/Berlin"}, headers=admin
        ).json()
        rooms = [
            http.post(
                "/v1/rooms", json={"location_id": location["id"], "name": f"R{i}"}, headers=admin
            ).json()["id"]
            for i in range(3)
        ]
        providers = []
        for i in range(3):
            provider = http.post(
                "/v1/providers", json={"name": f"P{i}", "profession": "nurse"}, headers=admin
            ).json()
            plan = {
                "intervals": [
                    {
                        "location_id": location["id"],
                        "weekday": d,
                        "start_time": "08:00",
                        "end_time": "20:00",
                    }
                    for d in WEEK
                ]
            }
            assert (
                http.put(
                    f"/v1/providers/{provider['id']}/working-plan", json=plan, headers=admin
                ).status_code
                == 200
            )
            providers.append(provider["id"])
        clients = []
        for i in range(5):
            body = {
                "first_name": f"C{i}",
                "last_name": "Load",
                "date_of_birth": "1990-01-01",
                "email": f"c{i}@example.org",
                "numbing_preference": "never",  # some bookings below leave numbing out
            }
            client_id = http.post("/v1/clients", json=body, headers=clinician).json()["id"]
            screening = {"screened_on": future_day(0).isoformat(), "conditions": []}
            assert (
                http.post(
                    f"/v1/clients/{client_id}/screenings", json=screening, headers=clinician
                ).status_code
                == 201
            )
            clients.append(client_id)
    return {"location": location["id"], "rooms": rooms, "providers": providers, "clients": clients}


def _bodies(clinic: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    day = future_day(7)
    bodies = []
    for _ in range(count):
        minutes = 9 * 60 + 5 * rng.randrange(0, 36)  # 09:00–11:55 on the 5-minute grid
        bodies.append(
            {
                "client_id": rng.choice(clinic["clients"]),
                "provider_id": rng.choice(clinic["providers"]),
                "room_id": rng.choice(clinic["rooms"]),
                "location_id": clinic["location"],
                "areas": rng.choice(
                    [["lips"], ["under_eye"], ["full_face"], ["full_face", "neck"]]
                ),
                "intensity": rng.choice(["light", "standard", "intensive"]),
                "numbing": rng.random() < 0.5,
                "starts_at": local(day, f"{minutes // 60:02d}:{minutes % 60:02d}"),
            }
        )
    return bodies


async def _fire(
    server: LiveServer, headers: dict[str, str], bodies: list[dict[str, Any]]
) -> list[int]:
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as http:

        async def book(body: dict[str, Any]) -> int:
            async with gate:
                response = await http.post("/v1/sessions", json=body, headers=headers)
                return response.status_code

        return await asyncio.gather(*(book(body) for body in bodies))


def _overlaps_in_database(database_url: str) -> list[tuple[str, str, str]]:
    """Pairs of live sessions that share a busy resource at the same time, recomputed from the
    sessions table itself (not from the busy-block table the engine maintains)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, client_id, provider_id, room_id, starts_at, numbing_minutes, "
                "treatment_minutes, turnover_minutes FROM treatment_sessions "
                "WHERE status IN ('booked', 'arrived')"
            )
        ).all()
    engine.dispose()
    busy: dict[tuple[str, str], list[tuple[Any, Any, str]]] = defaultdict(list)
    for (
        session_id,
        client_id,
        provider_id,
        room_id,
        starts_at,
        numbing,
        treatment,
        turnover,
    ) in rows:
        # SQLite hands back its naive UTC text; PostgreSQL an aware datetime.
        start = datetime.fromisoformat(starts_at) if isinstance(starts_at, str) else starts_at
        owners = {"client": client_id, "provider": provider_id, "room": room_id}
        for segment in segments_for(numbing, treatment, turnover):
            begin = start + timedelta(minutes=segment.offset_minutes)
            for resource in segment.busy:
                busy[(resource.value, owners[resource.value])].append(
                    (begin, begin + timedelta(minutes=segment.minutes), session_id)
                )
    clashes = []
    for (resource, _), spans in busy.items():
        spans.sort()
        for (_, end_a, a), (start_b, _, b) in zip(spans, spans[1:], strict=False):
            if start_b < end_a and a != b:
                clashes.append((resource, a, b))
    return clashes


def _summary_mismatches(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = summary_mismatches(connection)
    engine.dispose()
    return found


def test_concurrent_bookings_never_collide(live_server: LiveServer) -> None:
    clinic = _setup(live_server)
    headers = live_server.key_for("integration")
    statuses = asyncio.run(_fire(live_server, headers, _bodies(clinic, BOOKINGS, seed=4)))
    counts = Counter(statuses)
    assert set(counts) <= {201, 409}, (counts, live_server.log()[-3000:])
    assert counts[201] > 0
    assert counts[409] > 0
    assert _overlaps_in_database(live_server.database_url) == []
    assert _summary_mismatches(live_server.database_url) == []
    print(f"\n{live_server.workers} workers: {dict(counts)}")


def test_concurrent_bookings_of_one_provider_day_all_reach_the_summary(
    live_server: LiveServer,
) -> None:
    """Bookings that do not collide but share a provider and a day update the same busy-day
    row at once: every one of them must be in it afterwards (no lost update)."""
    clinic = _setup(live_server)
    headers = live_server.key_for("integration")
    day = future_day(9)
    bodies = [
        {
            "client_id": clinic["clients"][i % len(clinic["clients"])],
            "provider_id": clinic["providers"][0],
            "room_id": clinic["rooms"][i % len(clinic["rooms"])],
            "location_id": clinic["location"],
            "areas": ["lips"],
            "starts_at": local(day, f"{8 + i // 2:02d}:{30 * (i % 2):02d}"),
        }
        for i in range(24)
    ]
    statuses = asyncio.run(_fire(live_server, headers, bodies))
    assert Counter(statuses) == {201: 24}, live_server.log()[-3000:]
    assert _summary_mismatches(live_server.database_url) == []


def test_the_same_slot_is_won_exactly_once(live_server: LiveServer) -> None:
    """Many clients race for one provider and room at one instant: exactly one wins."""
    clinic = _setup(live_server)
    headers = live_server.key_for("integration")
    day = future_day(8)
    bodies = [
        {
            "client_id": clinic["clients"][i % len(clinic["clients"])],
            "provider_id": clinic["providers"][0],
            "room_id": clinic["rooms"][0],
            "location_id": clinic["location"],
            "areas": ["lips"],
            "starts_at": local(day, "10:00"),
        }
        for i in range(60)
    ]
    statuses = asyncio.run(_fire(live_server, headers, bodies))
    assert Counter(statuses) == {201: 1, 409: 59}
    assert _overlaps_in_database(live_server.database_url) == []


def test_concurrent_retries_with_one_idempotency_key_book_once(live_server: LiveServer) -> None:
    """A client that retries at once while its first request still runs: one session in all;
    every answer is the first one replayed, or 409 idempotency-in-progress (PostgreSQL)."""
    clinic = _setup(live_server)
    headers = {**live_server.key_for("integration"), "Idempotency-Key": "checkout-7"}
    body = {
        "client_id": clinic["clients"][0],
        "provider_id": clinic["providers"][0],
        "room_id": clinic["rooms"][0],
        "location_id": clinic["location"],
        "areas": ["lips"],
        "starts_at": local(future_day(9), "10:00"),
    }

    async def retry_storm() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as http:
            return await asyncio.gather(
                *(http.post("/v1/sessions", json=body, headers=headers) for _ in range(20))
            )

    responses = asyncio.run(retry_storm())
    assert {r.status_code for r in responses} <= {201, 409}
    in_progress = [r for r in responses if r.status_code == 409]
    assert all(r.json()["type"] == "/problems/idempotency-in-progress" for r in in_progress)
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    engine = create_engine(live_server.database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM treatment_sessions WHERE client_id = :c"),
            {"c": clinic["clients"][0]},
        ).scalar_one()
    engine.dispose()
    assert count == 1


def test_a_race_lost_in_the_database_answers_409(live_server: LiveServer) -> None:
    """The booking's own check cannot see a competitor that has not committed yet; the database
    makes it wait, then refuses the overlap, and the answer is 409 naming the winner."""
    import threading
    import time

    from sqlmodel import Session as DbSession

    from needleplan.db import make_engine
    from needleplan.kit.time import utc_now
    from needleplan.models import BusyBlock, Hold

    clinic = _setup(live_server)
    headers = live_server.key_for("integration")
    starts_at = datetime.fromisoformat(local(future_day(11), "10:00"))
    engine = make_engine(live_server.database_url)
    competitor = DbSession(bind=engine.execution_options(sqlite_begin="IMMEDIATE"))
    hold = Hold(
        client_id=clinic["clients"][1],
        provider_id=clinic["providers"][0],
        room_id=clinic["rooms"][1],
        location_id=clinic["location"],
        areas=["lips"],
        intensity="standard",
        numbing=False,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
        expires_at=utc_now() + timedelta(minutes=5),
    )
    competitor.add(hold)
    competitor.flush()
    competitor.add(
        BusyBlock(
            resource_kind="provider",
            resource_id=clinic["providers"][0],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=15),
            hold_id=hold.id,
            expires_at=hold.expires_at,
        )
    )
    competitor.flush()  # written, not committed: invisible to the server's own check
    hold_id = hold.id
    answers: list[httpx.Response] = []
    body = {
        "client_id": clinic["clients"][0],
        "provider_id": clinic["providers"][0],
        "room_id": clinic["rooms"][0],
        "location_id": clinic["location"],
        "areas": ["lips"],
        "starts_at": starts_at.isoformat(),
    }
    booking = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                f"{live_server.base_url}/v1/sessions", json=body, headers=headers, timeout=30
            )
        )
    )
    booking.start()
    time.sleep(1.0)
    assert answers == []  # the booking waits on the competitor's uncommitted row
    competitor.commit()
    competitor.close()
    booking.join(timeout=30)
    engine.dispose()
    assert answers[0].status_code == 409, answers[0].text
    assert answers[0].json()["conflicts"] == [
        {"resource": "provider", "id": clinic["providers"][0], "hold_id": hold_id}
    ]


def test_a_plan_is_never_overbooked_by_concurrent_bookings(live_server: LiveServer) -> None:
    """Two bookings for a one-session plan on different days share no provider, room or time,
    so only the plan itself keeps them apart. A competitor books the plan's session and has not
    committed yet: the booking must wait for it, then answer 409 plan-full."""
    import threading
    import time

    from sqlmodel import Session as DbSession
    from sqlmodel import select

    from needleplan.db import make_engine
    from needleplan.models import TreatmentPlan, TreatmentSession

    clinic = _setup(live_server)
    desk = live_server.key_for("front_desk")
    plan = httpx.post(
        f"{live_server.base_url}/v1/treatment-plans",
        json={
            "client_id": clinic["clients"][0],
            "location_id": clinic["location"],
            "areas": ["lips"],
            "numbing": False,
            "sessions_planned": 1,
        },
        headers=desk,
        timeout=30,
    ).json()
    engine = make_engine(live_server.database_url)
    competitor = DbSession(bind=engine.execution_options(sqlite_begin="IMMEDIATE"))
    # What a booking of the plan does first: lock the plan row, then add its session.
    competitor.exec(
        select(TreatmentPlan).where(TreatmentPlan.id == plan["id"]).with_for_update()
    ).one()
    first_start = datetime.fromisoformat(local(future_day(12), "10:00"))
    competitor.add(
        TreatmentSession(
            client_id=clinic["clients"][0],
            provider_id=clinic["providers"][0],
            room_id=clinic["rooms"][0],
            location_id=clinic["location"],
            areas=["lips"],
            intensity="standard",
            numbing=False,
            numbing_minutes=0,
            treatment_minutes=15,
            turnover_minutes=10,
            starts_at=first_start,
            ends_at=first_start + timedelta(minutes=15),
            status="booked",
            plan_id=plan["id"],
        )
    )
    competitor.flush()
    answers: list[httpx.Response] = []
    body = {
        "client_id": clinic["clients"][0],
        "provider_id": clinic["providers"][1],
        "room_id": clinic["rooms"][1],
        "location_id": clinic["location"],
        "areas": ["lips"],
        "plan_id": plan["id"],
        "starts_at": local(future_day(44), "10:00"),
    }
    booking = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{live_server.base_url}/v1/sessions", json=body, headers=desk, timeout=30)
        )
    )
    booking.start()
    time.sleep(1.0)
    assert answers == []  # waiting for the competitor's lock on the plan
    competitor.commit()
    competitor.close()
    booking.join(timeout=30)
    engine.dispose()
    assert answers[0].status_code == 409, answers[0].text
    assert answers[0].json()["type"] == "/problems/plan-full"
