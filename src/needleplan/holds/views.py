"""How a hold reads: instants in the location's offset, and its status now."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from needleplan.durations.quote import Intensity
from needleplan.holds.schemas import HoldRead
from needleplan.kit.localtime import in_zone
from needleplan.kit.time import utc_now
from needleplan.models import Hold
from needleplan.sessions.lifecycle import hold_status


def hold_read(hold: Hold, zone: ZoneInfo) -> HoldRead:
    return HoldRead(
        id=hold.id,
        client_id=hold.client_id,
        provider_id=hold.provider_id,
        room_id=hold.room_id,
        location_id=hold.location_id,
        areas=hold.areas,
        intensity=Intensity(hold.intensity),
        numbing=hold.numbing,
        numbing_source=hold.numbing_source,
        starts_at=in_zone(hold.starts_at, zone),
        ends_at=in_zone(hold.ends_at, zone),
        expires_at=in_zone(hold.expires_at, zone),
        status=hold_status(hold, utc_now()),
        device=hold.device_code,
        session_id=hold.session_id,
    )
