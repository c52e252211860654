"""Holds: a slot reserved for a few minutes while an integration finishes its checkout.

A hold passes the same rules as a booking and occupies the same busy blocks, marked with an
expiry: once it passes, the blocks stop counting and the next booking in the way clears them.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.config import Settings
from needleplan.events.outbox import renders
from needleplan.holds.schemas import HoldCreate, HoldRead
from needleplan.holds.views import hold_read
from needleplan.kit.crud import get_or_404
from needleplan.kit.time import utc_now
from needleplan.locations.service import zone_of
from needleplan.models import Hold
from needleplan.sessions import booking, repository
from needleplan.sessions.problems import HoldConverted


def create_hold(
    db: Session, settings: Settings, caller: Caller, body: HoldCreate
) -> tuple[Hold, ZoneInfo]:
    request = booking.request_from(body)
    location = booking.check_references(db, request)
    request, numbing_source = booking.with_numbing(db, request, body.numbing)
    request = booking.with_device(db, request, body.device)
    checked, _ = booking.check(db, settings, caller, request, location)
    expires_at = utc_now() + timedelta(minutes=settings.hold_minutes)
    hold = Hold(
        client_id=request.client_id,
        provider_id=request.provider_id,
        room_id=request.room_id,
        location_id=request.location_id,
        areas=request.areas,
        intensity=request.intensity.value,
        numbing=request.numbing,
        numbing_source=numbing_source,
        device_code=request.device_code,
        starts_at=request.starts_at,
        ends_at=checked.ends_at,
        expires_at=expires_at,
        created_by_key_id=caller.key_id,
    )
    db.add(hold)
    db.flush()
    booking.place(db, checked, hold_id=hold.id, expires_at=expires_at)
    record(db, caller, "create", "hold", hold.id)
    return hold, checked.zone


def get_hold(db: Session, hold_id: str) -> tuple[Hold, ZoneInfo]:
    hold = get_or_404(db, Hold, hold_id, what="hold")
    return hold, zone_of(db, hold.location_id)


def release_hold(db: Session, caller: Caller, hold_id: str) -> None:
    """Give the slot back at once. Releasing an expired or released hold is a no-op; a hold
    that became a session is not there to release (409: the session must be cancelled)."""
    hold = get_or_404(db, Hold, hold_id, what="hold", for_update=True)
    if hold.session_id is not None:
        raise HoldConverted(
            f"The hold became session {hold.session_id}; cancel that session to free the slot.",
            session_id=hold.session_id,
        )
    if hold.released_at is None:
        hold.released_at = utc_now()
        repository.delete_blocks(db, hold_id=hold.id)
        db.flush()
        record(db, caller, "release", "hold", hold.id)


def _render(db: Session, hold_id: str, role: Role) -> HoldRead | None:
    hold = db.get(Hold, hold_id)
    return None if hold is None else hold_read(hold, zone_of(db, hold.location_id))


renders("hold", _render)
