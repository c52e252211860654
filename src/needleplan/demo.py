"""Demo data for `make run`: one Berlin location, two rooms, two providers working Mon–Fri
09:00–17:00 and three fictional clients a newcomer can book at once: one eligible, one with a
caution a clinician must acknowledge, one not eligible. Running it again adds no rows but a fresh
admin key and, when the clients' screenings are no longer from today, new ones, so the demo
clients stay bookable however long after the first run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.auth.repository import keys_named
from needleplan.auth.roles import Role
from needleplan.auth.service import CLI_CALLER, create_api_key
from needleplan.clients.repository import client_by_email
from needleplan.kit.localtime import local_date
from needleplan.kit.statuses import NumbingPreference
from needleplan.kit.time import utc_now
from needleplan.locations.repository import location_named
from needleplan.models import Client, Location, Provider, Room, WorkingInterval
from needleplan.screening.repository import latest_screening_date
from needleplan.screening.schemas import ScreeningCreate
from needleplan.screening.service import record_screening

DEMO_LOCATION = "Demo Clinic Berlin"
DEMO_KEY_NAME = "demo-admin"
WEEKDAYS = range(1, 6)
DEMO_ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class DemoClient:
    first_name: str
    last_name: str
    born: date
    email: str
    conditions: tuple[str, ...]
    what: str  # what a newcomer should expect when booking them
    numbing: NumbingPreference  # what a booking that leaves `numbing` out does


DEMO_CLIENTS = (
    DemoClient(
        "Anna",
        "Beispiel",
        date(1988, 4, 12),
        "anna.beispiel@example.org",
        (),
        "eligible; always numbed",
        NumbingPreference.always,
    ),
    DemoClient(
        "Lena",
        "Muster",
        date(1995, 11, 3),
        "lena.muster@example.org",
        ("sensitive_skin",),
        "eligible with a caution (sensitive skin) a clinician acknowledges before check-in; "
        "never numbed",
        NumbingPreference.never,
    ),
    DemoClient(
        "Sofia",
        "Probe",
        date(1979, 2, 28),
        "sofia.probe@example.org",
        ("keloid_history",),
        "not eligible (keloid history); never numbed",
        NumbingPreference.never,
    ),
)


@dataclass(frozen=True)
class DemoSeed:
    summary: str
    secret: str
    clients: list[tuple[str, DemoClient]]  # (id, who)


def seed_demo_data(db: Session) -> DemoSeed:
    """Adds the demo clinic when it is missing, screens the demo clients today when their latest
    screening is older, and makes a new demo admin key (revoking the previous ones)."""
    existing = location_named(db, DEMO_LOCATION)
    summary = "demo data already present"
    if existing is None:
        _add_demo_clinic(db)
        summary = "demo data added: 1 location, 2 rooms, 2 providers, 3 clients"
    # Only the newest demo key works: each run prints a new one and revokes the ones before.
    for old in keys_named(db, DEMO_KEY_NAME):
        if old.revoked_at is None:
            old.revoked_at = utc_now()
    _, new_key = create_api_key(db, name=DEMO_KEY_NAME, role=Role.admin)
    return DemoSeed(summary, new_key.secret, _screen_demo_clients(db))


def _screen_demo_clients(db: Session) -> list[tuple[str, DemoClient]]:
    today = local_date(utc_now(), ZoneInfo(DEMO_ZONE))
    found = []
    for who in DEMO_CLIENTS:
        client = client_by_email(db, who.email)
        if client is None:  # removed or renamed by hand: nothing to screen
            continue
        latest = latest_screening_date(db, client.id)
        if latest is None or latest < today:
            screening = ScreeningCreate(
                screened_on=today, conditions=list(who.conditions), medications="none"
            )
            record_screening(db, CLI_CALLER, client.id, screening)
        found.append((client.id, who))
    return found


def _add_demo_clinic(db: Session) -> None:
    location = Location(name=DEMO_LOCATION, time_zone=DEMO_ZONE)
    db.add(location)
    db.flush()
    # Both rooms have a pen; only Room 2 has the RF system (the shipped devices, docs/domain.md#devices).
    for name, devices in (
        ("Room 1", ["microneedling_pen"]),
        ("Room 2", ["microneedling_pen", "rf_microneedling"]),
    ):
        db.add(Room(location_id=location.id, name=name, device_codes=devices))
    for name, profession in (("Dr. Mira Hoffmann", "dermatologist"), ("Jonas Weber", "nurse")):
        provider = Provider(name=name, profession=profession)
        db.add(provider)
        db.flush()
        for weekday in WEEKDAYS:
            db.add(
                WorkingInterval(
                    provider_id=provider.id,
                    location_id=location.id,
                    weekday=weekday,
                    start_time=time(9, 0),
                    end_time=time(17, 0),
                )
            )
    for who in DEMO_CLIENTS:
        db.add(
            Client(
                first_name=who.first_name,
                last_name=who.last_name,
                date_of_birth=who.born,
                email=who.email,
                numbing_preference=who.numbing,
            )
        )
    db.flush()
