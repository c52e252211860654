"""The session state machine (FHIR appointment status codes), when the actions of the day
may happen, and a hold's status. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from needleplan.kit.localtime import in_zone, local_date, local_day_bounds
from needleplan.kit.statuses import SessionStatus as SessionStatus  # re-exported: rules name it


class HoldStatus(StrEnum):
    active = "active"
    expired = "expired"
    converted = "converted"
    released = "released"


class HoldState(Protocol):
    """What a hold's status is read from (a ``Hold`` row)."""

    @property
    def session_id(self) -> str | None: ...
    @property
    def released_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime: ...


def hold_status(hold: HoldState, now: datetime) -> HoldStatus:
    """A hold is active until it becomes a session, is released or expires."""
    if hold.session_id is not None:
        return HoldStatus.converted
    if hold.released_at is not None:
        return HoldStatus.released
    if hold.expires_at <= now:
        return HoldStatus.expired
    return HoldStatus.active


class Action(StrEnum):
    arrive = "arrive"
    complete = "complete"
    cancel = "cancel"
    no_show = "no-show"
    entered_in_error = "entered-in-error"
    reschedule = "reschedule"


LIVE = frozenset({SessionStatus.booked, SessionStatus.arrived})

TRANSITIONS: dict[Action, tuple[frozenset[SessionStatus], SessionStatus]] = {
    Action.arrive: (frozenset({SessionStatus.booked}), SessionStatus.arrived),
    Action.complete: (frozenset({SessionStatus.arrived}), SessionStatus.fulfilled),
    # An arrived client is being treated: complete the session, or mark it entered-in-error.
    Action.cancel: (frozenset({SessionStatus.booked}), SessionStatus.cancelled),
    Action.no_show: (frozenset({SessionStatus.booked}), SessionStatus.noshow),
    Action.entered_in_error: (LIVE, SessionStatus.entered_in_error),
    Action.reschedule: (frozenset({SessionStatus.booked}), SessionStatus.booked),
}


def next_status(current: SessionStatus, action: Action) -> SessionStatus | None:
    """The status after ``action``, or None when the action is not allowed from ``current``."""
    allowed_from, target = TRANSITIONS[action]
    return target if current in allowed_from else None


def holds_time(status: SessionStatus) -> bool:
    """Only live sessions keep their provider, room and client busy."""
    return status in LIVE


@dataclass(frozen=True)
class FrontDeskTiming:
    """When the front desk may record what happens on the day (docs/domain.md, "Session
    lifecycle"). ``arrive_lead`` before the start, ``arrive_grace`` after the end."""

    arrive_lead: timedelta
    arrive_grace: timedelta


def arrival_window(
    starts_at: datetime, ends_at: datetime, zone: ZoneInfo, timing: FrontDeskTiming
) -> tuple[datetime, datetime]:
    """The half-open range of instants in which a client may be checked in: from the lead before
    the start to the grace after the end, and never outside the session's local calendar day, so
    a check-in cannot land on a day the client was not booked for."""
    day_start, day_end = local_day_bounds(local_date(starts_at, zone), zone)
    return max(starts_at - timing.arrive_lead, day_start), min(
        ends_at + timing.arrive_grace, day_end
    )


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return in_zone(instant, zone).isoformat()


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def timing_refusal(
    action: Action,
    *,
    now: datetime,
    starts_at: datetime,
    ends_at: datetime,
    treatment_starts_at: datetime,
    zone: ZoneInfo,
    timing: FrontDeskTiming,
) -> tuple[str, datetime | None] | None:
    """Why ``action`` may not happen at ``now``, and from when it may (None when never), or None
    when the time is right. Only the actions of the day have a time: arrive, complete, no-show."""
    if action is Action.arrive:
        opens_at, closes_at = arrival_window(starts_at, ends_at, zone, timing)
        if now < opens_at:
            return (
                f"The client can be checked in from {_local(opens_at, zone)}, "
                f"{_minutes(starts_at - opens_at)} before the session starts.",
                opens_at,
            )
        if now >= closes_at:
            return (
                f"Check-in closed at {_local(closes_at, zone)}: the session ended at "
                f"{_local(ends_at, zone)}. Mark it no-show, or entered-in-error if it was "
                "recorded by mistake.",
                None,
            )
    if action is Action.complete and now < treatment_starts_at:
        return (
            f"The session can be completed once its treatment has started, at "
            f"{_local(treatment_starts_at, zone)}.",
            treatment_starts_at,
        )
    if action is Action.no_show and now < starts_at:
        return (
            f"A session can be marked no-show once it has started, at {_local(starts_at, zone)}.",
            starts_at,
        )
    return None
