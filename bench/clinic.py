"""The clinic the calendar benchmarks seed before their sessions: one location, providers who
work every day of the week, a room each (and spares), and screened clients. Written through the
ORM: it is small next to the sessions, which each benchmark bulk-inserts itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as wall

from needleplan.db import Database
from needleplan.kit.ids import new_id
from needleplan.models import Client, Location, Provider, Room, Screening, WorkingInterval
from needleplan.screening.summaries import follow

CHUNK = 5_000  # clients written per transaction


@dataclass(frozen=True)
class BenchClinic:
    location: Location
    providers: list[Provider]
    rooms: list[Room]
    clients: list[Client]


def seed_clinic(
    database: Database,
    *,
    name: str,
    zone: str,
    providers: int,
    rooms: int,
    clients: int,
    opens: wall,
    closes: wall,
) -> BenchClinic:
    """Providers ``P00``... work ``opens``–``closes`` on all seven weekdays; every client is
    screened today with no condition, so each is eligible."""
    today = datetime.now(UTC).date()
    location = Location(id=new_id(), name=name, time_zone=zone)
    staff = [Provider(id=new_id(), name=f"P{i:02d}", profession="nurse") for i in range(providers)]
    spaces = [
        Room(id=new_id(), location_id=location.id, name=f"Room {i:02d}") for i in range(rooms)
    ]
    people = [
        Client(
            id=new_id(),
            first_name=f"C{i}",
            last_name=name,
            date_of_birth=date(1990, 1, 1),
            email=f"c{i}@example.org",
        )
        for i in range(clients)
    ]
    with database.transaction() as db:
        db.add(location)
        db.add_all(staff)
        db.add_all(spaces)
        db.flush()
        db.add_all(
            WorkingInterval(
                provider_id=p.id,
                location_id=location.id,
                weekday=weekday,
                start_time=opens,
                end_time=closes,
            )
            for p in staff
            for weekday in range(1, 8)
        )
    for start in range(0, clients, CHUNK):
        batch = people[start : start + CHUNK]
        with database.transaction() as db:
            db.add_all(batch)
            db.flush()
            db.add_all(Screening(client_id=c.id, screened_on=today, conditions=[]) for c in batch)
            for person in batch:
                follow(db, person.id)  # as recording a screening does: its eligibility summary
    return BenchClinic(location, staff, spaces, people)
