"""The statements that read the treatment-area catalogue."""

from __future__ import annotations

from sqlmodel import Session, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import TreatmentArea


def page_of_areas(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[TreatmentArea], str | None]:
    return keyset_page(db, select(TreatmentArea), TreatmentArea.code, limit=limit, cursor=cursor)


def catalogue_is_empty(db: Session) -> bool:
    return db.exec(select(TreatmentArea.code).limit(1)).first() is None
