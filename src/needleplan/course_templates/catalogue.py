"""The shipped course templates (docs/domain.md#course-templates): each figure's clinical source
is named there, and where a figure is the clinic's own judgement it says so. Clinics edit them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from needleplan.course_templates import repository
from needleplan.models import CourseTemplate


@dataclass(frozen=True)
class DefaultTemplate:
    code: str
    name: str
    indication: str
    areas: tuple[str, ...]
    intensity: str
    sessions_planned: int
    interval_min_days: int
    interval_max_days: int
    numbing: bool


# No default names a device: the device catalogue starts empty, and the device is the clinic's
# choice (a plan made from a template books with the area minutes until one is named).
DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        code="acne_scars",
        name="Acne scarring",
        indication="acne scars",
        areas=("full_face",),
        intensity="intensive",
        sessions_planned=4,
        interval_min_days=28,
        interval_max_days=42,
        numbing=True,
    ),
    DefaultTemplate(
        code="fine_lines",
        name="Fine lines and skin texture",
        indication="fine lines",
        areas=("full_face",),
        intensity="standard",
        sessions_planned=4,
        interval_min_days=28,
        interval_max_days=42,
        numbing=True,
    ),
    DefaultTemplate(
        code="stretch_marks",
        name="Stretch marks (abdomen)",
        indication="stretch marks",
        areas=("abdomen",),
        intensity="standard",
        sessions_planned=4,
        interval_min_days=28,
        interval_max_days=42,
        numbing=True,
    ),
    DefaultTemplate(
        code="maintenance",
        name="Maintenance",
        indication="maintenance",
        areas=("full_face",),
        intensity="light",
        sessions_planned=1,
        interval_min_days=28,
        interval_max_days=42,
        numbing=True,
    ),
)


def install_default_templates(db: Session) -> int:
    """Add the default templates when the catalogue is empty; a clinic's edits are never
    overwritten. Runs after the treatment areas are installed: the templates name them."""
    if not repository.catalogue_is_empty(db):
        return 0
    for default in DEFAULT_TEMPLATES:
        db.add(
            CourseTemplate(
                code=default.code,
                name=default.name,
                indication=default.indication,
                areas=list(default.areas),
                intensity=default.intensity,
                sessions_planned=default.sessions_planned,
                interval_min_days=default.interval_min_days,
                interval_max_days=default.interval_max_days,
                numbing=default.numbing,
            )
        )
    db.flush()
    return len(DEFAULT_TEMPLATES)
