from __future__ import annotations

from fastapi import Response

from needleplan.deps import Admin, DbDep, SettingsDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.models import WebhookEndpoint
from needleplan.problems import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.webhooks import repository, service
from needleplan.webhooks.problems import WebhookUrlNotAllowed
from needleplan.webhooks.schemas import (
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointPage,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = v1_router(prefix="/webhook-endpoints", tags=["webhooks"])


def _with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    read = WebhookEndpointRead.model_validate(endpoint)
    return WebhookEndpointWithSecret(**read.model_dump(), secret=endpoint.secret)


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointWithSecret,
    responses=problem_responses(WebhookUrlNotAllowed),
)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate, db: DbDep, caller: Admin, settings: SettingsDep, response: Response
) -> WebhookEndpointWithSecret:
    """Register a webhook endpoint; its signing secret appears only in this answer.

    Every event of `event_types` (`["*"]`: all) is POSTed to `url` per Standard Webhooks 1.0,
    signed with `secret`, with the payload a key of `role` reads on the change feed. The URL
    must be https and resolve to a public address: 422 (`webhook-url-not-allowed`) otherwise.
    """
    endpoint = service.create_endpoint(
        db, caller, body, allow_private=settings.webhook_allow_private
    )
    created(response, f"/v1/webhook-endpoints/{endpoint.id}", endpoint.version)
    return _with_secret(endpoint)


@router.get("", response_model=WebhookEndpointPage)
async def list_webhook_endpoints(
    db: DbDep, _: Admin, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> WebhookEndpointPage:
    """List webhook endpoints (never their secrets), oldest first.

    One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = repository.page_of_endpoints(db, limit=limit, cursor=cursor)
    return WebhookEndpointPage(
        items=[WebhookEndpointRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/{endpoint_id}", response_model=WebhookEndpointRead, responses=problem_responses(NotFound)
)
async def get_webhook_endpoint(
    endpoint_id: str, db: DbDep, _: Admin, response: Response
) -> WebhookEndpointRead:
    """Get a webhook endpoint (not its secret).

    The `ETag` header is its version, to send as `If-Match` when updating it. `disabled_reason`
    says why a disabled endpoint was disabled. An unknown id is a 404 (`not-found`).
    """
    endpoint = service.get_endpoint(db, endpoint_id)
    tag_version(response, endpoint.version)
    return WebhookEndpointRead.model_validate(endpoint)


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpointRead,
    responses=problem_responses(
        NotFound, PreconditionFailed, PreconditionRequired, WebhookUrlNotAllowed
    ),
)
async def update_webhook_endpoint(
    endpoint_id: str,
    body: WebhookEndpointUpdate,
    db: DbDep,
    caller: Admin,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> WebhookEndpointRead:
    """Update a webhook endpoint (merge patch; needs If-Match).

    Send only the fields to change: `url`, `event_types`, `description`, `enabled` (`true`
    re-enables a disabled endpoint). `If-Match` is required: 428 (`precondition-required`)
    without it, 412 (`precondition-failed`) when stale; a refused URL is a 422
    (`webhook-url-not-allowed`).
    """
    endpoint = service.update_endpoint(
        db, caller, endpoint_id, body, if_match, allow_private=settings.webhook_allow_private
    )
    tag_version(response, endpoint.version)
    return WebhookEndpointRead.model_validate(endpoint)


@router.delete("/{endpoint_id}", status_code=204, responses=problem_responses(NotFound))
async def delete_webhook_endpoint(endpoint_id: str, db: DbDep, caller: Admin) -> Response:
    """Delete a webhook endpoint and its deliveries.

    Nothing more is sent to it, including deliveries still pending. An unknown id is a 404.
    """
    service.delete_endpoint(db, caller, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointWithSecret,
    responses=problem_responses(NotFound),
)
async def rotate_webhook_secret(
    endpoint_id: str, db: DbDep, caller: Admin, response: Response
) -> WebhookEndpointWithSecret:
    """Give a webhook endpoint a new signing secret, shown only in this answer.

    For 24 hours every delivery carries two signatures, one with the new secret and one with
    the previous, so a receiver can switch secrets without missing a delivery.
    """
    endpoint = service.rotate_secret(db, caller, endpoint_id)
    tag_version(response, endpoint.version)
    return _with_secret(endpoint)


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=WebhookEndpointRead,
    responses=problem_responses(NotFound),
)
async def test_webhook_endpoint(endpoint_id: str, db: DbDep, caller: Admin) -> WebhookEndpointRead:
    """Send a `webhook.test` event to this endpoint.

    The event goes to this endpoint only, whatever its `event_types`; its delivery appears in
    the endpoint's deliveries like any other.
    """
    endpoint = service.send_test(db, caller, endpoint_id)
    return WebhookEndpointRead.model_validate(endpoint)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryPage,
    responses=problem_responses(NotFound),
)
async def list_webhook_deliveries(
    endpoint_id: str,
    db: DbDep,
    _: Admin,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> WebhookDeliveryPage:
    """List an endpoint's deliveries, oldest first.

    Each delivery is one event for this endpoint: its attempts, the last status code, error and
    duration, when it is tried next, and its `state` (`pending`, `succeeded`, `failed`).
    """
    service.get_endpoint(db, endpoint_id)
    rows, next_cursor = repository.page_of_deliveries(db, endpoint_id, limit=limit, cursor=cursor)
    return WebhookDeliveryPage(
        items=[WebhookDeliveryRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=WebhookDeliveryRead,
    responses=problem_responses(NotFound),
)
async def retry_webhook_delivery(
    endpoint_id: str, delivery_id: str, db: DbDep, caller: Admin
) -> WebhookDeliveryRead:
    """Send a delivery again now.

    Its retry schedule starts afresh (the `webhook-id` stays the event id). An unknown
    endpoint or delivery is a 404.
    """
    delivery = service.retry_delivery(db, caller, endpoint_id, delivery_id)
    return WebhookDeliveryRead.model_validate(delivery)
