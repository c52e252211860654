"""The statements that read clients."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import Client


def page_of_clients(
    db: Session, *, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """Clients whose name, email or phone contains ``q`` (any case), oldest first."""
    statement = select(Client)
    if q:
        needle = q.lower()
        statement = statement.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        col(Client.first_name),
                        col(Client.last_name),
                        func.coalesce(Client.email, ""),
                        func.coalesce(Client.phone, ""),
                        Client.first_name + " " + Client.last_name,
                    )
                )
            )
        )
    return keyset_page(db, statement, Client.id, limit=limit, cursor=cursor)


def client_by_email(db: Session, email: str) -> Client | None:
    return db.exec(select(Client).where(Client.email == email)).first()
