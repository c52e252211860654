"""Time-ordered UUIDs (version 7, RFC 9562).

Ids that sort by creation time make keyset pagination on the primary key alone stable under
inserts, and keep B-tree inserts local. Within one process they are also strictly increasing
(RFC 9562 section 6.2, method 1: the 12 ``rand_a`` bits count within a millisecond, from a
random start), so rows made one after another list in the order they were made, even within
one millisecond (the demo's Room 1 before its Room 2).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

_COUNTER_BITS = 12
_lock = threading.Lock()
_last_millis = 0
_last_counter = 0


def _next_stamp() -> tuple[int, int]:
    """(milliseconds, counter), greater than the last one this process handed out."""
    global _last_millis, _last_counter
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis > _last_millis:
            # A random start in the lower half leaves room to count within the millisecond.
            _last_millis, _last_counter = millis, secrets.randbits(_COUNTER_BITS - 1)
        elif _last_counter + 1 < 1 << _COUNTER_BITS:
            _last_counter += 1
        else:  # 2,048+ ids in one millisecond: borrow the next one
            _last_millis, _last_counter = _last_millis + 1, 0
        return _last_millis, _last_counter


def new_id() -> str:
    millis, counter = _next_stamp()
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))
