"""Availability and whole-course proposal speed on a busy calendar (issue 5, docs/performance.md).

Builds a clinic with 20 providers, 24 rooms and about 10,000 booked sessions over 30 days,
then times, in-process (service layer and database, no HTTP):

- an availability search over all 20 providers for 30 days (target: p50 <= 25 ms);
- a whole-course proposal for a 6-session plan (target: p50 <= 10 ms).

It prints figures; it asserts nothing. Run:

    .venv/bin/python bench/calendar_bench.py [--db sqlite|postgres] [--runs 30]

The database is new and removed afterwards (``databases.ScratchDatabase``): a SQLite file in a
temporary directory, or a PostgreSQL database created through ``$NEEDLEPLAN_BENCH_PG_ADMIN_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from zoneinfo import ZoneInfo

from clinic import seed_clinic
from databases import ScratchDatabase
from sqlalchemy import insert, text

from needleplan.availability.service import Search, search
from needleplan.availability.slots import expand
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.durations.quote import Intensity
from needleplan.kit.ids import new_id
from needleplan.kit.localtime import local_instant
from needleplan.migrations import migrate
from needleplan.models import (
    BusyBlock,
    TreatmentPlan,
    TreatmentSession,
)
from needleplan.plans.proposals import propose_course
from needleplan.sessions import busy_days

ZONE = ZoneInfo("Europe/Berlin")
PROVIDERS, ROOMS, CLIENTS, DAYS, PER_DAY = 20, 24, 500, 30, 17
CADENCE = 40  # minutes between starts; each session is lips + neck, light: 30 min + 10 turnover


def _seed(database: Database, first_day: date) -> dict[str, object]:
    now = datetime.now(UTC)
    clinic = seed_clinic(
        database,
        name="Busy",
        zone=ZONE.key,
        providers=PROVIDERS,
        rooms=ROOMS,
        clients=CLIENTS,
        opens=wall(8),
        closes=wall(20),
    )
    location, providers, rooms, clients = (
        clinic.location,
        clinic.providers,
        clinic.rooms,
        clinic.clients,
    )
    sessions, blocks = [], []
    for day_index in range(DAYS):
        day = first_day + timedelta(days=day_index)
        for slot in range(PER_DAY):
            start = local_instant(day, wall(8), ZONE) + timedelta(minutes=slot * CADENCE)
            for p_index, provider in enumerate(providers):
                session_id = new_id()
                client = clients[(slot * PROVIDERS + p_index + day_index) % CLIENTS]
                room = rooms[p_index]
                sessions.append(
                    {
                        "id": session_id,
                        "client_id": client.id,
                        "provider_id": provider.id,
                        "room_id": room.id,
                        "location_id": location.id,
                        "areas": ["lips", "neck"],
                        "intensity": "light",
                        "numbing": False,
                        "numbing_minutes": 0,
                        "treatment_minutes": 30,
                        "turnover_minutes": 10,
                        "starts_at": start,
                        "ends_at": start + timedelta(minutes=30),
                        "status": "booked",
                        "version": 1,
                        "created_at": now,
                        "needs_reschedule": False,
                    }
                )
                for kind, resource, minutes in (
                    ("client", client.id, 30),
                    ("provider", provider.id, 30),
                    ("room", room.id, 40),
                ):
                    blocks.append(
                        {
                            "id": new_id(),
                            "resource_kind": kind,
                            "resource_id": resource,
                            "starts_at": start,
                            "ends_at": start + timedelta(minutes=minutes),
                            "session_id": session_id,
                        }
                    )
    with database.transaction() as db:
        db.execute(insert(TreatmentSession), sessions)
        db.execute(insert(BusyBlock), blocks)
        # What the booking engine keeps beside the blocks (sessions/repository.py).
        busy_days.record(
            db, taken=[(b["resource_id"], b["starts_at"], b["ends_at"]) for b in blocks]
        )
    with database.transaction() as db:
        plan = TreatmentPlan(
            client_id=clients[0].id,
            location_id=location.id,
            areas=["full_face"],
            intensity="standard",
            numbing=True,
            sessions_planned=6,
            min_interval_days=28,
            max_interval_days=42,
            status="active",
        )
        db.add(plan)
    return {"location": location.id, "plan": plan.id, "sessions": len(sessions)}


def _time(runs: int, action: object) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _report(name: str, timings: list[float], target: float) -> None:
    ordered = sorted(timings)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(
        f"{name:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   target p50 <= {target:g} ms ({p50 / target:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with ScratchDatabase(args.db, filename="calendar.db") as scratch:
        url = scratch.url
        database = Database(url)
        migrate(database)
        settings = Settings(database_url=url)
        first_day = datetime.now(ZONE).date() + timedelta(days=2)
        seeded = _seed(database, first_day)
        if args.db == "postgres":
            # Seeding upserts each busy-day row many times in one go; autovacuum would clear the
            # dead versions of a real calendar, so measure that steady state.
            with database.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.execute(text("VACUUM ANALYZE"))
        start = local_instant(first_day, wall(0), ZONE)
        query = Search(
            areas=["full_face"],
            intensity=Intensity.standard,
            numbing=True,
            starts_from=start,
            until=start + timedelta(days=DAYS),
            location_id=str(seeded["location"]),
        )
        found: list[int] = []

        def availability() -> None:
            with database.transaction(write=False) as db:
                runs = search(db, settings, query)[0]
                found.append(len(expand(runs, settings.slot_grid_minutes)))

        # The course starts near the end of the busy month and runs on past it.
        course_from = start + timedelta(days=DAYS - 5)

        def course() -> None:
            with database.transaction(write=False) as db:
                plan = db.get(TreatmentPlan, seeded["plan"])
                assert plan is not None
                propose_course(db, settings, plan, course_from)

        print(f"$ {' '.join([sys.executable, *sys.argv])}")
        print(
            f"{args.db}: {PROVIDERS} providers, {ROOMS} rooms, {seeded['sessions']} sessions over {DAYS} days"
        )
        availability()
        course()
        _report("availability, 20 providers x 30 days", _time(args.runs, availability), 25)
        print(f"{'':<44} ({found[-1]} free slots found)")
        _report("course proposal, 6 sessions", _time(args.runs, course), 10)
        database.dispose()


if __name__ == "__main__":
    main()
