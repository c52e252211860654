"""Moving the clock for tests of what happens on a session's day. The server code runs in the
test's process, so it sees the travelled time, as a front desk on that day would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import time_machine


@contextmanager
def at(instant: str | datetime) -> Iterator[None]:
    """The clock shows ``instant`` (an aware datetime or RFC 3339 text) and stands still."""
    moment = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    with time_machine.travel(moment, tick=False):
        yield
