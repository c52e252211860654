"""IANA time-zone names."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    if name not in _known_zones():
        raise ValueError("not an IANA time-zone name such as Europe/Berlin")
    return name
