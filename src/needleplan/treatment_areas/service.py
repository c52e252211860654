from __future__ import annotations

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.service import Caller
from needleplan.events.outbox import renders_row
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.models import TreatmentArea
from needleplan.problems import AlreadyExists, ValidationFailed, field_error
from needleplan.treatment_areas import repository
from needleplan.treatment_areas.schemas import (
    TreatmentAreaCreate,
    TreatmentAreaRead,
    TreatmentAreaUpdate,
)


def create_area(db: Session, caller: Caller, body: TreatmentAreaCreate) -> TreatmentArea:
    if db.get(TreatmentArea, body.code) is not None:
        raise AlreadyExists(f"A treatment area with code {body.code!r} already exists.")
    area = TreatmentArea(**body.model_dump())
    db.add(area)
    db.flush()
    record(db, caller, "create", "treatment_area", area.code)
    return area


def get_area(db: Session, code: str) -> TreatmentArea:
    return get_or_404(db, TreatmentArea, code, what="treatment area")


def list_areas(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[TreatmentArea], str | None]:
    return repository.page_of_areas(db, limit=limit, cursor=cursor)


def update_area(
    db: Session, caller: Caller, code: str, body: TreatmentAreaUpdate, if_match: str | None
) -> TreatmentArea:
    area = get_or_404(db, TreatmentArea, code, what="treatment area", for_update=True)
    require_if_match(if_match, area.version)
    changes = body.model_dump(exclude_unset=True)
    minimum = changes.get("min_minutes", area.min_minutes)
    maximum = changes.get("max_minutes", area.max_minutes)
    if minimum > maximum:
        raise ValidationFailed(
            f"min_minutes ({minimum}) would exceed max_minutes ({maximum}).",
            [field_error("body", "min_minutes", "Must not exceed max_minutes.", "range")],
        )
    apply_changes(area, changes)
    db.flush()
    record(db, caller, "update", "treatment_area", area.code)
    return area


renders_row("treatment_area", TreatmentArea, TreatmentAreaRead)
