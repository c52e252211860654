"""The statements that read the course-template catalogue."""

from __future__ import annotations

from sqlmodel import Session, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import CourseTemplate


def page_of_templates(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[CourseTemplate], str | None]:
    return keyset_page(db, select(CourseTemplate), CourseTemplate.code, limit=limit, cursor=cursor)


def catalogue_is_empty(db: Session) -> bool:
    return db.exec(select(CourseTemplate.code).limit(1)).first() is None
