"""Which event each audited mutation emits, and which roles see which events."""

from __future__ import annotations

from needleplan.auth.roles import Role

# (audited resource, audit action) -> (event type, subject kind). A mutation the audit trail
# records and this table does not name fails loudly (tests/events/test_feed.py walks them all).
TYPES: dict[tuple[str, str], tuple[str, str]] = {
    ("location", "create"): ("location.created", "location"),
    ("location", "update"): ("location.updated", "location"),
    ("room", "create"): ("room.created", "room"),
    ("room", "update"): ("room.updated", "room"),
    ("provider", "create"): ("provider.created", "provider"),
    ("provider", "update"): ("provider.updated", "provider"),
    ("provider", "replace_working_plan"): ("working_plan.replaced", "working_plan"),
    ("provider_exception", "create"): ("provider_exception.created", "provider_exception"),
    ("provider_exception", "delete"): ("provider_exception.deleted", "provider_exception"),
    ("client", "create"): ("client.created", "client"),
    ("client", "update"): ("client.updated", "client"),
    ("screening_condition", "create"): ("screening_condition.created", "screening_condition"),
    ("screening_condition", "update"): ("screening_condition.updated", "screening_condition"),
    ("screening", "create"): ("screening.recorded", "screening"),
    ("eligibility_override", "create"): ("eligibility_override.created", "eligibility_override"),
    ("condition_retraction", "create"): ("condition_retraction.created", "condition_retraction"),
    ("treatment_area", "create"): ("treatment_area.created", "treatment_area"),
    ("treatment_area", "update"): ("treatment_area.updated", "treatment_area"),
    ("course_template", "create"): ("course_template.created", "course_template"),
    ("course_template", "update"): ("course_template.updated", "course_template"),
    ("device", "create"): ("device.created", "device"),
    ("device", "update"): ("device.updated", "device"),
    ("session", "create"): ("session.booked", "session"),
    ("session", "accept_interval"): ("session.interval_accepted", "session"),
    ("session", "reschedule"): ("session.rescheduled", "session"),
    ("session", "update"): ("session.updated", "session"),
    ("session", "arrive"): ("session.arrived", "session"),
    ("session", "complete"): ("session.fulfilled", "session"),
    ("session", "cancel"): ("session.cancelled", "session"),
    ("session", "no-show"): ("session.noshow", "session"),
    ("session", "entered-in-error"): ("session.entered_in_error", "session"),
    ("treatment_plan", "create"): ("plan.created", "treatment_plan"),
    ("treatment_plan", "update"): ("plan.updated", "treatment_plan"),
    ("treatment_plan", "cancel"): ("plan.cancelled", "treatment_plan"),
    ("hold", "create"): ("hold.created", "hold"),
    ("hold", "release"): ("hold.released", "hold"),
    ("api_key", "create"): ("api_key.created", "api_key"),
    ("api_key", "revoke"): ("api_key.revoked", "api_key"),
    ("webhook_endpoint", "create"): ("webhook_endpoint.created", "webhook_endpoint"),
    ("webhook_endpoint", "update"): ("webhook_endpoint.updated", "webhook_endpoint"),
    ("webhook_endpoint", "delete"): ("webhook_endpoint.deleted", "webhook_endpoint"),
    ("webhook_endpoint", "rotate_secret"): ("webhook_endpoint.secret_rotated", "webhook_endpoint"),
    ("webhook_endpoint", "disable"): ("webhook_endpoint.disabled", "webhook_endpoint"),
    # Sent to that one endpoint only (webhooks/fanout.py).
    ("webhook_endpoint", "test"): ("webhook.test", "webhook_endpoint"),
    ("webhook_delivery", "retry"): ("webhook_delivery.retried", "webhook_delivery"),
    ("calendar_feed", "create"): ("calendar_feed.created", "calendar_feed"),
    ("calendar_feed", "delete"): ("calendar_feed.deleted", "calendar_feed"),
    ("care_notice", "create"): ("care_notice.created", "care_notice"),
    ("care_notice", "update"): ("care_notice.updated", "care_notice"),
}

# Changes that follow from another mutation (a cascade), emitted by the use case that makes them.
CASCADES: dict[str, str] = {
    "session.needs_reschedule": "session",
    "hold.converted": "hold",
    "plan.completed": "treatment_plan",
    # Not a mutation's: the worker emits it when a session's notice falls due (notices/emitter.py).
    "session.notice_due": "session",
}

EVENT_TYPES: frozenset[str] = frozenset(t for t, _ in TYPES.values()) | frozenset(CASCADES)

# The lowest role that reads a subject kind (its GET's role); integration is the default.
_READERS: dict[str, Role] = {
    "screening": Role.front_desk,
    "eligibility_override": Role.front_desk,
    "condition_retraction": Role.front_desk,
    "api_key": Role.admin,
    "webhook_endpoint": Role.admin,
    "webhook_delivery": Role.admin,
    "calendar_feed": Role.front_desk,
}


# Fields that only a role this high reads (its GET shows them null below it): the feed and
# webhooks blank them for lower roles, since one payload serves every role above integration.
_FIELD_READERS: dict[str, dict[str, Role]] = {
    "client": {"comfort_notes": Role.clinician},
}


def reader_of(kind: str) -> Role:
    return _READERS.get(kind, Role.integration)


def hidden_kinds(role: Role) -> list[str]:
    """The subject kinds whose events ``role`` does not see."""
    return sorted(kind for kind, needed in _READERS.items() if not role.may_act_as(needed))


def hidden_fields(kind: str, role: Role) -> list[str]:
    """The fields of ``kind``'s events that ``role`` reads as null."""
    fields = _FIELD_READERS.get(kind, {})
    return [field for field, needed in fields.items() if not role.may_act_as(needed)]
