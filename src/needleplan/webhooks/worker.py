"""The delivery worker: claims due deliveries, POSTs them per Standard Webhooks 1.0, records
each outcome. ``needleplan worker`` runs it; ``needleplan serve`` runs one in a thread.

Each attempt: the SSRF guard again (DNS rebinding), a POST with ``webhook-id`` (the event id),
``webhook-timestamp`` and ``webhook-signature`` (every secret in use), redirects not followed,
10 s timeout. 2xx: succeeded. 410: the endpoint is disabled. Anything else: retried after the
next delay of ``NEEDLEPLAN_WEBHOOK_RETRY_SCHEDULE`` (schedule.py, with up to 10 % jitter), then
failed.
Lanes (threads) claim and send independently, so a slow endpoint holds one lane only. Idle
lanes take turns to look for due deliveries (``Pacer``): the worker looks every 0.25 s
whatever its number of lanes, and a lane that finds one lets the others look at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from needleplan.auth.roles import Role
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.events.service import read_as
from needleplan.kit.time import utc_now
from needleplan.metrics.instruments import count_webhook_delivery, set_webhook_oldest_pending
from needleplan.models import WebhookDelivery, WebhookEndpoint
from needleplan.webhooks import claim, repository, schedule, service, signing, ssrf
from needleplan.webhooks.fanout import TEST

log = logging.getLogger("needleplan.webhooks")

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def make_client(lanes: int) -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=max(lanes, 1) * 2, max_keepalive_connections=lanes),
        headers={"user-agent": "needleplan-webhooks"},
    )


@dataclass(frozen=True)
class Request:
    delivery_id: str
    url: str
    headers: dict[str, str]
    body: bytes
    refusal: str | None


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    duration_ms: int


def _prepare(database: Database, settings: Settings, delivery: WebhookDelivery) -> Request | None:
    with database.transaction(write=False) as db:
        endpoint = db.get(WebhookEndpoint, delivery.endpoint_id)
        event = repository.event_by_id(db, delivery.event_id)
        if endpoint is None:
            return None
        now = utc_now()
        if event is None:
            body = b""
            refusal: str | None = "The event was pruned before it could be delivered."
        else:
            role = Role.admin if event.type == TEST else Role(endpoint.role)
            read = read_as(event, role)
            payload = read.model_dump(mode="json", by_alias=True)
            body = json.dumps(payload, separators=(",", ":")).encode()
            refusal = ssrf.refusal(endpoint.url, allow_private=settings.webhook_allow_private)
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signatures(
                service.secrets_in_use(endpoint, now), delivery.event_id, timestamp, body
            ),
        }
        return Request(delivery.id, endpoint.url, headers, body, refusal)


def _send(client: httpx.Client, request: Request) -> Outcome:
    if request.refusal is not None:
        return Outcome(None, request.refusal, 0)
    started = time.monotonic()
    try:
        response = client.post(request.url, content=request.body, headers=request.headers)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed)
    return Outcome(response.status_code, None, int((time.monotonic() - started) * 1000))


def _record(database: Database, settings: Settings, delivery_id: str, outcome: Outcome) -> str:
    """Store an attempt's outcome; the metric's outcome (succeeded, failed, gave_up)."""
    with database.transaction() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.state != "pending":
            return "succeeded"
        endpoint = db.get(WebhookEndpoint, delivery.endpoint_id)
        now = utc_now()
        delivery.last_status_code = outcome.status
        delivery.last_duration_ms = outcome.duration_ms
        delivery.updated_at = now
        status = outcome.status
        if status is not None and 200 <= status < 300:
            delivery.state, delivery.next_attempt_at, delivery.last_error = "succeeded", None, None
            return "succeeded"
        delivery.last_error = outcome.error or f"The endpoint answered {status}."
        wait = schedule.wait_before(settings.webhook_retry_schedule, delivery.attempts + 1)
        if status == 410 or wait is None:
            delivery.state, delivery.next_attempt_at = "failed", None
            result = "gave_up"
        else:
            delivery.next_attempt_at = now + wait
            result = "failed"
        db.flush()
        if endpoint is not None:
            if status == 410:
                service.disable(db, endpoint, "The endpoint answered 410 Gone.")
            elif service.failing_too_long(
                db, endpoint.id, now, settings.webhook_disable_after_hours
            ):
                hours = settings.webhook_disable_after_hours
                service.disable(db, endpoint, f"Every delivery failed for {hours:g} hours.")
        return result


class Busy:
    """The endpoints a worker's lanes are sending to, so that no two lanes wait on one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.endpoints: dict[str, int] = {}

    def add(self, endpoint_ids: list[str]) -> None:
        for endpoint_id in endpoint_ids:
            self.endpoints[endpoint_id] = self.endpoints.get(endpoint_id, 0) + 1

    def remove(self, endpoint_ids: list[str]) -> None:
        with self.lock:
            for endpoint_id in endpoint_ids:
                left = self.endpoints.pop(endpoint_id, 1) - 1
                if left:
                    self.endpoints[endpoint_id] = left


POLL_SECONDS = 0.25


class Pacer:
    """The turns of a worker's idle lanes: one of them looks for due deliveries every
    ``interval`` seconds (not each of them), so an idle worker costs one look, not one per
    lane, and a delivery falling due waits no longer than with a single lane."""

    def __init__(self, interval: float = POLL_SECONDS) -> None:
        self.interval = interval
        self.turns = threading.Condition()
        self.next_look = 0.0

    def wait_turn(self, stop: threading.Event) -> bool:
        """Wait until it is the calling lane's turn to look; False once ``stop`` is set (seen
        within ``interval``)."""
        with self.turns:
            while not stop.is_set():
                now = time.monotonic()
                if now >= self.next_look:
                    self.next_look = now + self.interval
                    return True
                self.turns.wait(min(self.next_look - now, self.interval))
            return False

    def found(self) -> None:
        """A lane found work: there may be more, so the next idle lane looks at once (and, if
        it finds some too, wakes the next)."""
        with self.turns:
            self.next_look = 0.0
            self.turns.notify()


def run_once(
    database: Database,
    settings: Settings,
    client: httpx.Client,
    *,
    limit: int = 10,
    busy: Busy | None = None,
    on_claim: Callable[[], None] | None = None,
) -> int:
    """Claim up to ``limit`` due deliveries, send them concurrently, record each outcome; the
    number claimed. Database work stays on the calling thread. ``on_claim`` runs once some are
    claimed, before they are sent."""
    busy = busy or Busy()
    with busy.lock:
        with database.transaction(write=False) as db:
            oldest = repository.oldest_pending(db)
            due = claim.any_due(db, utc_now())
        set_webhook_oldest_pending((utc_now() - oldest).total_seconds() if oldest else 0.0)
        if not due:
            return 0
        with database.transaction() as db:
            rows = claim.claim(db, utc_now(), limit, busy=list(busy.endpoints))
            claimed = [row.id for row in rows]
            endpoints = [row.endpoint_id for row in rows]
        busy.add(endpoints)
    if claimed and on_claim is not None:
        on_claim()
    try:
        return _deliver(database, settings, client, claimed)
    finally:
        busy.remove(endpoints)


def _deliver(
    database: Database, settings: Settings, client: httpx.Client, claimed: list[str]
) -> int:
    if not claimed:
        return 0
    requests: list[Request] = []
    for delivery_id in claimed:
        with database.transaction(write=False) as db:
            delivery = db.get(WebhookDelivery, delivery_id)
        if delivery is not None:
            prepared = _prepare(database, settings, delivery)
            if prepared is not None:
                requests.append(prepared)
    outcomes: dict[str, Outcome] = {}

    def send(request: Request) -> None:
        outcomes[request.delivery_id] = _send(client, request)

    threads = [threading.Thread(target=send, args=(r,), daemon=True) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for request in requests:
        count_webhook_delivery(
            _record(database, settings, request.delivery_id, outcomes[request.delivery_id])
        )
    return len(claimed)


def run_lane(
    database: Database,
    settings: Settings,
    client: httpx.Client,
    stop: threading.Event,
    busy: Busy,
    pacer: Pacer | None = None,
) -> None:
    """One lane: claim one delivery at a time until ``stop`` is set; while there is none, look
    again when it is this lane's turn (``pacer``, shared by the worker's lanes)."""
    pacer = pacer or Pacer()
    while pacer.wait_turn(stop):
        try:
            # One found: look again at once (the next idle lane does too), until none is due.
            found = True
            while found and not stop.is_set():
                found = (
                    run_once(database, settings, client, limit=1, busy=busy, on_claim=pacer.found)
                    > 0
                )
        except Exception:  # the database may be down: keep trying
            log.exception("webhook delivery failed")
            stop.wait(1.0)


def start(
    database: Database, settings: Settings, stop: threading.Event, lanes: int = 4
) -> list[threading.Thread]:
    """Start ``lanes`` delivery threads sharing one bounded HTTP client."""
    client = make_client(lanes)
    busy = Busy()
    pacer = Pacer()
    threads = [
        threading.Thread(
            target=run_lane,
            args=(database, settings, client, stop, busy, pacer),
            name=f"webhooks-{n}",
            daemon=True,
        )
        for n in range(lanes)
    ]
    for thread in threads:
        thread.start()
    return threads
