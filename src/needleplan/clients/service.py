from __future__ import annotations

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.clients import repository
from needleplan.clients.schemas import ClientCreate, ClientRead, ClientReference, ClientUpdate
from needleplan.events.outbox import renders
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.models import Client
from needleplan.problems import ValidationFailed, field_error


def _require_contact(email: str | None, phone: str | None) -> None:
    if email is None and phone is None:
        raise ValidationFailed(
            "A client needs an email address or a phone number.",
            [
                field_error(
                    "body", "email", "Give an email or a phone number.", "contact_required"
                ),
                field_error(
                    "body", "phone", "Give an email or a phone number.", "contact_required"
                ),
            ],
        )


def create_client(db: Session, caller: Caller, body: ClientCreate) -> Client:
    _require_contact(body.email, body.phone)
    client = Client(**body.model_dump())
    db.add(client)
    db.flush()
    record(db, caller, "create", "client", client.id)
    return client


def get_client(db: Session, client_id: str) -> Client:
    return get_or_404(db, Client, client_id, what="client")


def list_clients(
    db: Session, *, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    return repository.page_of_clients(db, q=q, limit=limit, cursor=cursor)


def update_client(
    db: Session, caller: Caller, client_id: str, body: ClientUpdate, if_match: str | None
) -> Client:
    client = get_or_404(db, Client, client_id, what="client", for_update=True)
    require_if_match(if_match, client.version)
    changes = body.model_dump(exclude_unset=True)
    _require_contact(changes.get("email", client.email), changes.get("phone", client.phone))
    apply_changes(client, changes)
    db.flush()
    record(db, caller, "update", "client", client.id)
    return client


def _render(db: Session, client_id: str, role: Role) -> ClientRead | ClientReference | None:
    """As GET reads a client; an ``integration`` key learns the id only (as when it creates one)."""
    client = db.get(Client, client_id)
    if client is None:
        return None
    if role is Role.integration:
        return ClientReference(id=client.id)
    return ClientRead.model_validate(client)


renders("client", _render)
