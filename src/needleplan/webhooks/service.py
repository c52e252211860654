"""Webhook endpoint use cases (admin) and the outcome of a delivery attempt (the worker's)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.events.outbox import renders_row
from needleplan.kit.crud import apply_changes, bump_version, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.kit.time import utc_now
from needleplan.models import WebhookDelivery, WebhookEndpoint
from needleplan.problems import NotFound
from needleplan.webhooks import repository, signing, ssrf
from needleplan.webhooks.problems import WebhookUrlNotAllowed
from needleplan.webhooks.schemas import (
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
)

# After a rotation the previous secret keeps signing this long.
ROTATION_OVERLAP = timedelta(hours=24)
SYSTEM = Caller(key_id=None, role=Role.admin)


def check_url(url: str, *, allow_private: bool) -> None:
    reason = ssrf.refusal(url, allow_private=allow_private)
    if reason is not None:
        raise WebhookUrlNotAllowed(reason)


def create_endpoint(
    db: Session, caller: Caller, body: WebhookEndpointCreate, *, allow_private: bool
) -> WebhookEndpoint:
    check_url(body.url, allow_private=allow_private)
    endpoint = WebhookEndpoint(
        url=body.url,
        event_types=list(body.event_types),
        description=body.description,
        role=body.role.value,
        secret=signing.new_secret(),
    )
    db.add(endpoint)
    db.flush()
    record(db, caller, "create", "webhook_endpoint", endpoint.id)
    return endpoint


def get_endpoint(db: Session, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint:
    return get_or_404(
        db, WebhookEndpoint, endpoint_id, what="webhook endpoint", for_update=for_update
    )


def update_endpoint(
    db: Session,
    caller: Caller,
    endpoint_id: str,
    body: WebhookEndpointUpdate,
    if_match: str | None,
    *,
    allow_private: bool,
) -> WebhookEndpoint:
    endpoint = get_endpoint(db, endpoint_id, for_update=True)
    require_if_match(if_match, endpoint.version)
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:
        check_url(changes["url"], allow_private=allow_private)
    if changes.get("enabled"):
        changes["disabled_reason"] = None
    elif changes.get("enabled") is False:
        changes["disabled_reason"] = "Disabled by an administrator."
    apply_changes(endpoint, changes)
    db.flush()
    record(db, caller, "update", "webhook_endpoint", endpoint.id)
    return endpoint


def delete_endpoint(db: Session, caller: Caller, endpoint_id: str) -> None:
    endpoint = get_endpoint(db, endpoint_id, for_update=True)
    repository.delete_deliveries_of(db, endpoint.id)
    db.delete(endpoint)
    db.flush()
    record(db, caller, "delete", "webhook_endpoint", endpoint_id)


def rotate_secret(db: Session, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
    endpoint = get_endpoint(db, endpoint_id, for_update=True)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_expires_at = utc_now() + ROTATION_OVERLAP
    endpoint.secret = signing.new_secret()
    bump_version(endpoint)
    db.flush()
    record(db, caller, "rotate_secret", "webhook_endpoint", endpoint.id)
    return endpoint


def send_test(db: Session, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
    """Queue a ``webhook.test`` event, delivered to this endpoint only (webhooks/fanout.py)."""
    endpoint = get_endpoint(db, endpoint_id)
    record(db, caller, "test", "webhook_endpoint", endpoint.id)
    return endpoint


def get_delivery(db: Session, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    delivery = db.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound(f"No delivery {delivery_id!r} to webhook endpoint {endpoint_id!r}.")
    return delivery


def retry_delivery(
    db: Session, caller: Caller, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again now, with its retry schedule started afresh."""
    get_endpoint(db, endpoint_id)
    delivery = get_or_404(db, WebhookDelivery, delivery_id, what="delivery", for_update=True)
    if delivery.endpoint_id != endpoint_id:
        raise NotFound(f"No delivery {delivery_id!r} to webhook endpoint {endpoint_id!r}.")
    now = utc_now()
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.updated_at = now
    db.flush()
    record(db, caller, "retry", "webhook_delivery", delivery.id)
    return delivery


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    in_use = [endpoint.secret]
    if (
        endpoint.previous_secret is not None
        and endpoint.previous_expires_at is not None
        and endpoint.previous_expires_at > now
    ):
        in_use.append(endpoint.previous_secret)
    return in_use


def disable(db: Session, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable an endpoint (the worker: 410 Gone, or failing too long); emits
    ``webhook_endpoint.disabled``."""
    if not endpoint.enabled:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:500]
    bump_version(endpoint)
    db.flush()
    record(db, SYSTEM, "disable", "webhook_endpoint", endpoint.id)


def failing_too_long(db: Session, endpoint_id: str, now: datetime, hours: float) -> bool:
    """Whether every delivery to the endpoint has failed for at least ``hours``."""
    first = repository.first_failure_since(
        db, endpoint_id, repository.last_success(db, endpoint_id)
    )
    return first is not None and now - first >= timedelta(hours=hours)


renders_row("webhook_endpoint", WebhookEndpoint, WebhookEndpointRead)
renders_row("webhook_delivery", WebhookDelivery, WebhookDeliveryRead)
