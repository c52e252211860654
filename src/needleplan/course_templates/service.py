"""Course-template use cases, and the two references plans resolve through this package: a
template code and a device code."""

from __future__ import annotations

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.service import Caller
from needleplan.course_templates import repository
from needleplan.course_templates.schemas import (
    CourseTemplateCreate,
    CourseTemplateRead,
    CourseTemplateUpdate,
)
from needleplan.devices.service import usable_device
from needleplan.durations.service import check_area_codes
from needleplan.events.outbox import renders_row
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.models import CourseTemplate, Device
from needleplan.problems import AlreadyExists, ValidationFailed, field_error


def check_device(db: Session, code: str, *, field: str = "device") -> Device:
    """A device named by a template or a plan: unknown or inactive is a 422 naming ``field``,
    the one device check of quotes and bookings (devices.service.usable_device)."""
    device = usable_device(db, code, field=field)
    assert device is not None  # a code was given
    return device


def template_for_plan(db: Session, code: str) -> CourseTemplate:
    """The template a new plan names (``template``): unknown or inactive is a 422 naming it."""
    template = db.get(CourseTemplate, code)
    if template is None:
        raise ValidationFailed(
            f"template: no course template has code {code!r}.",
            [
                field_error(
                    "body", "template", "No course template has this code.", "unknown_reference"
                )
            ],
        )
    if not template.active:
        raise ValidationFailed(
            f"template: the course template {code!r} is inactive.",
            [field_error("body", "template", "This course template is inactive.", "inactive")],
        )
    return template


def create_template(db: Session, caller: Caller, body: CourseTemplateCreate) -> CourseTemplate:
    if db.get(CourseTemplate, body.code) is not None:
        raise AlreadyExists(f"A course template with code {body.code!r} already exists.")
    check_area_codes(db, body.areas)
    if body.device is not None:
        check_device(db, body.device)
    template = CourseTemplate(
        **body.model_dump(exclude={"device", "intensity"}),
        intensity=body.intensity.value,
        device_code=body.device,
    )
    db.add(template)
    db.flush()
    record(db, caller, "create", "course_template", template.code)
    return template


def get_template(db: Session, code: str) -> CourseTemplate:
    return get_or_404(db, CourseTemplate, code, what="course template")


def list_templates(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[CourseTemplate], str | None]:
    return repository.page_of_templates(db, limit=limit, cursor=cursor)


def update_template(
    db: Session, caller: Caller, code: str, body: CourseTemplateUpdate, if_match: str | None
) -> CourseTemplate:
    changes = body.model_dump(exclude_unset=True)
    if "areas" in changes:
        check_area_codes(db, changes["areas"])
    if "device" in changes:
        device = changes.pop("device")
        if device is not None:
            check_device(db, device)
        changes["device_code"] = device
    if "intensity" in changes:
        changes["intensity"] = changes["intensity"].value
    template = get_or_404(db, CourseTemplate, code, what="course template", for_update=True)
    require_if_match(if_match, template.version)
    minimum = changes.get("interval_min_days", template.interval_min_days)
    maximum = changes.get("interval_max_days", template.interval_max_days)
    if minimum > maximum:
        raise ValidationFailed(
            f"interval_min_days ({minimum}) would exceed interval_max_days ({maximum}).",
            [field_error("body", "interval_min_days", "Exceeds interval_max_days.", "range")],
        )
    apply_changes(template, changes)
    db.flush()
    record(db, caller, "update", "course_template", template.code)
    return template


renders_row("course_template", CourseTemplate, CourseTemplateRead)
