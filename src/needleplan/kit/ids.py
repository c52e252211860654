"""Time-ordered UUIDs (version 7, RFC 9562).

Ids that sort by creation time make keyset pagination on the primary key alone stable under
inserts, and keep B-tree inserts local.
"""

from __future__ import annotations

import secrets
import time
import uuid


def new_id() -> str:
    millis = time.time_ns() // 1_000_000
    rand_a = secrets.randbits(12)
    rand_b = secrets.randbits(62)
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= rand_a << 64
    value |= 0b10 << 62
    value |= rand_b
    return str(uuid.UUID(int=value))
