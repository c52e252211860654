"""The retry schedule: how long a delivery waits before each attempt.

``NEEDLEPLAN_WEBHOOK_RETRY_SCHEDULE`` lists one delay per attempt: the first attempt waits the
first number after the event (0: at once), the k-th retry the (k+1)-th, each with up to 10 %
jitter; after the last attempt the delivery has failed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

JITTER = 0.1


def wait_before(schedule: Sequence[int], attempt: int) -> timedelta | None:
    """The wait before attempt number ``attempt`` (1 is the first), jittered; ``None`` once the
    schedule has no such attempt."""
    if not 1 <= attempt <= len(schedule):
        return None
    return timedelta(seconds=schedule[attempt - 1] * random.uniform(1.0, 1.0 + JITTER))
