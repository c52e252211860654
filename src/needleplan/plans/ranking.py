"""How proposals are ordered (SPEC 5). Pure.

The plan's provider first (else the previous session's), then the previous session's weekday
and time of day, then the earliest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from needleplan.availability.slots import Slot


def rank(
    slots: Sequence[Slot],
    zone: ZoneInfo,
    *,
    preferred_provider: str | None,
    previous_start: datetime | None,
) -> list[Slot]:
    previous = previous_start.astimezone(zone) if previous_start else None

    def key(slot: Slot) -> tuple[bool, bool, int, datetime, str]:
        local = slot.starts_at.astimezone(zone)
        other_provider = preferred_provider is not None and slot.provider_id != preferred_provider
        if previous is None:
            return other_provider, False, 0, slot.starts_at, slot.provider_id
        other_weekday = local.isoweekday() != previous.isoweekday()
        minutes_apart = abs(
            (local.hour * 60 + local.minute) - (previous.hour * 60 + previous.minute)
        )
        return other_provider, other_weekday, minutes_apart, slot.starts_at, slot.provider_id

    return sorted(slots, key=key)
