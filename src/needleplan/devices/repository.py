"""The statements that read the device catalogue."""

from __future__ import annotations

from sqlmodel import Session, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import Device


def page_of_devices(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[Device], str | None]:
    return keyset_page(db, select(Device), Device.code, limit=limit, cursor=cursor)


def catalogue_is_empty(db: Session) -> bool:
    return db.exec(select(Device.code).limit(1)).first() is None
