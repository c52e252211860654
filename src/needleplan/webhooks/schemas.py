from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from needleplan.auth.roles import Role
from needleplan.events import catalogue
from needleplan.kit.models import JsonBool, RequestModel, ResponseModel, Text, omitted


def _check_types(types: list[str]) -> list[str]:
    kinds = {t.split(".")[0] for t in catalogue.EVENT_TYPES}
    for name in types:
        if name == "*" or name in catalogue.EVENT_TYPES:
            continue
        if name.endswith(".*") and name[:-2] in kinds:
            continue
        raise ValueError(f"{name!r} is not an event type, a kind (`session.*`) or `*`")
    return types


EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=60)]],
    Field(
        min_length=1,
        max_length=100,
        examples=[["session.*", "hold.created"], ["*"]],
        description='Event types (`session.booked`), kinds (`session.*`) or `["*"]` for all.',
    ),
    AfterValidator(_check_types),
]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        examples=["https://example.com/needleplan/webhooks"],
        description="Where events are POSTed: https, resolving to a public address.",
    ),
]
Description = Annotated[Text, Field(max_length=500)]


class WebhookEndpointCreate(RequestModel):
    url: Url
    event_types: EventTypes
    description: Description = ""
    role: Role = Field(
        default=Role.integration,
        description="What payloads contain, as the change feed shows them to a key of this role.",
    )


class WebhookEndpointUpdate(RequestModel):
    url: Url = omitted()
    event_types: EventTypes = omitted()
    description: Description = omitted()
    enabled: JsonBool = omitted()


class WebhookEndpointRead(ResponseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    role: Role
    enabled: bool
    disabled_reason: str | None = Field(description="Why the endpoint was disabled, if it was.")
    version: int
    created_at: datetime
    updated_at: datetime | None


class WebhookEndpointWithSecret(WebhookEndpointRead):
    secret: str = Field(
        description="`whsec_` and base64: the signing secret. Shown only when created or rotated."
    )


class WebhookEndpointPage(ResponseModel):
    items: list[WebhookEndpointRead]
    next_cursor: str | None


class WebhookDeliveryRead(ResponseModel):
    id: str
    endpoint_id: str
    event_id: str = Field(description="The event's id, sent as `webhook-id` on every attempt.")
    event_type: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    next_attempt_at: datetime | None
    state: Literal["pending", "succeeded", "failed"]
    created_at: datetime


class WebhookDeliveryPage(ResponseModel):
    items: list[WebhookDeliveryRead]
    next_cursor: str | None
