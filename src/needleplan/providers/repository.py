"""The statements that read and write providers, their working plans and exceptions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import Provider, ProviderException, WorkingInterval


def page_of_providers(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[Provider], str | None]:
    return keyset_page(db, select(Provider), Provider.id, limit=limit, cursor=cursor)


def working_intervals(db: Session, provider_id: str) -> Sequence[WorkingInterval]:
    """The provider's working plan in week order (weekday, then start)."""
    return db.exec(
        select(WorkingInterval)
        .where(WorkingInterval.provider_id == provider_id)
        .order_by(col(WorkingInterval.weekday), col(WorkingInterval.start_time))
    ).all()


def delete_working_plan(db: Session, provider_id: str) -> None:
    db.exec(delete(WorkingInterval).where(col(WorkingInterval.provider_id) == provider_id))


def page_of_exceptions(
    db: Session, provider_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ProviderException], str | None]:
    statement = select(ProviderException).where(ProviderException.provider_id == provider_id)
    return keyset_page(db, statement, ProviderException.id, limit=limit, cursor=cursor)
