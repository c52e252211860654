"""Every metric needleplan exports, and the small API the rest of the code calls.

Label values come from fixed sets only (route templates, HTTP methods and statuses, booking
outcomes, event types, delivery outcomes), never from a request's path, query or body, so no
label carries patient data.

Multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``needleplan serve``): counters and
histograms are summed over the workers; the pool gauges are ``livesum`` (the live workers'
pools added up); the webhook backlog gauge is ``livemostrecent``.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series (noise)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

BOOKINGS = Counter(
    "needleplan_bookings_total",
    "Answers of the booking endpoint (POST /v1/sessions), by outcome.",
    ["outcome"],
)
EVENTS = Counter(
    "needleplan_events_total",
    "Events written to the outbox, by event type.",
    ["type"],
)
WEBHOOK_DELIVERIES = Counter(
    "needleplan_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome.",
    ["outcome"],
)
WEBHOOK_OLDEST_PENDING = Gauge(
    "needleplan_webhook_oldest_pending_seconds",
    "Age of the oldest pending webhook delivery (0: none pending).",
    multiprocess_mode="livemostrecent",
)
DB_POOL_IN_USE = Gauge(
    "needleplan_db_pool_connections_in_use",
    "Database connections checked out of the pool, summed over the live worker processes.",
    multiprocess_mode="livesum",
)
DB_POOL_OVERFLOW = Gauge(
    "needleplan_db_pool_overflow_connections",
    "Connections open beyond the pool's size, summed over the live worker processes.",
    multiprocess_mode="livesum",
)

# The booking endpoint's problem types and their outcome label; any other 4xx is ``rejected``,
# a 5xx ``error`` (tests/metrics/test_metrics.py checks every slug here is a problem type).
BOOKING_OUTCOMES_BY_PROBLEM = {
    "slot-taken": "slot_taken",
    "not-eligible": "not_eligible",
    "outside-working-hours": "outside_working_hours",
    "off-slot-grid": "off_slot_grid",
    "insufficient-notice": "insufficient_notice",
    "device-not-in-room": "device_not_in_room",
    "hold-mismatch": "hold_mismatch",
    "hold-expired": "hold_expired",
    "validation-error": "invalid",
    "malformed-request": "invalid",
    "unsupported-media-type": "invalid",
    "payload-too-large": "invalid",
    "unauthorized": "unauthorized",
    "forbidden": "forbidden",
}
BOOKED, REPLAYED, REJECTED, ERROR = "booked", "replayed", "rejected", "error"
BOOKING_OUTCOMES = (
    BOOKED,
    REPLAYED,
    *BOOKING_OUTCOMES_BY_PROBLEM.values(),
    REJECTED,
    ERROR,
)
WEBHOOK_DELIVERY_OUTCOMES = ("succeeded", "failed", "gave_up")

for _outcome in BOOKING_OUTCOMES:
    BOOKINGS.labels(outcome=_outcome)
for _outcome in WEBHOOK_DELIVERY_OUTCOMES:
    WEBHOOK_DELIVERIES.labels(outcome=_outcome)


def booking_outcome(status: int, problem_type: str | None, *, replayed: bool = False) -> str:
    """The outcome label of one answer of the booking endpoint: the one place it is decided.

    ``problem_type`` is the answer's ``type`` (``/problems/<slug>``) when it is a problem.
    """
    if status < 400:
        return REPLAYED if replayed else BOOKED
    if problem_type:
        outcome = BOOKING_OUTCOMES_BY_PROBLEM.get(problem_type.rpartition("/")[2])
        if outcome is not None:
            return outcome
    return ERROR if status >= 500 else REJECTED


def count_booking(outcome: str) -> None:
    BOOKINGS.labels(outcome=outcome).inc()


def count_event(event_type: str) -> None:
    """One event written to the outbox (``session.booked``, ...). Called by the events package."""
    EVENTS.labels(type=event_type).inc()


def count_webhook_delivery(outcome: str) -> None:
    """One delivery attempt: ``succeeded``, ``failed`` (to be retried) or ``gave_up``."""
    if outcome not in WEBHOOK_DELIVERY_OUTCOMES:
        raise ValueError(f"unknown webhook delivery outcome {outcome!r}")
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()


def set_webhook_oldest_pending(seconds: float) -> None:
    """The age of the oldest pending delivery, as the delivery worker last saw it."""
    WEBHOOK_OLDEST_PENDING.set(max(seconds, 0.0))


def read_pool(pool: Any) -> int:
    """Copy this process's pool figures into the pool gauges (QueuePool; others read 0), and
    return the connections in use."""
    checked_out = getattr(pool, "checkedout", None)
    overflow = getattr(pool, "overflow", None)
    in_use: int = checked_out() if callable(checked_out) else 0
    DB_POOL_IN_USE.set(in_use)
    DB_POOL_OVERFLOW.set(max(overflow(), 0) if callable(overflow) else 0)
    return in_use
