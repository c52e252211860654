"""Demo data for `make run`: one Berlin location, two rooms, two providers working Mon–Fri
09:00–17:00 and three fictional clients. Running it again adds nothing but a fresh admin key."""

from __future__ import annotations

from datetime import date, time

from sqlmodel import Session, select

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import CLI_CALLER, create_api_key
from needleplan.kit.time import utc_now
from needleplan.models import ApiKey, Client, Location, Provider, Room, WorkingInterval

DEMO_LOCATION = "Demo Clinic Berlin"
DEMO_KEY_NAME = "demo-admin"
WEEKDAYS = range(1, 6)


def seed_demo_data(db: Session) -> tuple[str, str]:
    """Returns a one-line summary and the secret of a new demo admin key."""
    existing = db.exec(select(Location).where(Location.name == DEMO_LOCATION)).first()
    summary = "demo data already present"
    if existing is None:
        _add_demo_clinic(db)
        summary = "demo data added: 1 location, 2 rooms, 2 providers, 3 clients"
    # Only the newest demo key works: each run prints a new one and revokes the ones before.
    for old in db.exec(select(ApiKey).where(ApiKey.name == DEMO_KEY_NAME)).all():
        if old.revoked_at is None:
            old.revoked_at = utc_now()
    key, new_key = create_api_key(db, name=DEMO_KEY_NAME, role=Role.admin)
    record(db, CLI_CALLER, "create", "api_key", key.id)
    return summary, new_key.secret


def _add_demo_clinic(db: Session) -> None:
    location = Location(name=DEMO_LOCATION, time_zone="Europe/Berlin")
    db.add(location)
    db.flush()
    for name in ("Room 1", "Room 2"):
        db.add(Room(location_id=location.id, name=name))
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
    for first, last, born, email in (
        ("Anna", "Beispiel", date(1988, 4, 12), "anna.beispiel@example.org"),
        ("Lena", "Muster", date(1995, 11, 3), "lena.muster@example.org"),
        ("Sofia", "Probe", date(1979, 2, 28), "sofia.probe@example.org"),
    ):
        db.add(Client(first_name=first, last_name=last, date_of_birth=born, email=email))
    db.flush()
