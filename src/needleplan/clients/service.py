from __future__ import annotations

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.clients import repository
from needleplan.clients.comfort import NumbingChoice, choose_numbing
from needleplan.clients.schemas import ClientCreate, ClientRead, ClientReference, ClientUpdate
from needleplan.events.outbox import renders
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.models import Client
from needleplan.problems import Forbidden, ValidationFailed, field_error

# Who reads and writes a client's comfort notes (docs/domain.md#comfort).
COMFORT_NOTES_ROLE = Role.clinician


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


def _may_write_comfort_notes(caller: Caller, fields: set[str]) -> None:
    if "comfort_notes" in fields and not caller.role.may_act_as(COMFORT_NOTES_ROLE):
        raise Forbidden("Only clinicians and admins may write a client's comfort notes.")


def create_client(db: Session, caller: Caller, body: ClientCreate) -> Client:
    _may_write_comfort_notes(caller, body.model_fields_set)
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
    _may_write_comfort_notes(caller, body.model_fields_set)
    client = get_or_404(db, Client, client_id, what="client", for_update=True)
    require_if_match(if_match, client.version)
    changes = body.model_dump(exclude_unset=True)
    _require_contact(changes.get("email", client.email), changes.get("phone", client.phone))
    apply_changes(client, changes)
    db.flush()
    record(db, caller, "update", "client", client.id)
    return client


def client_read(client: Client, role: Role) -> ClientRead:
    """A client as ``role`` reads it: ``comfort_notes`` is null below clinicians."""
    read = ClientRead.model_validate(client)
    if read.comfort_notes is not None and not role.may_act_as(COMFORT_NOTES_ROLE):
        return read.model_copy(update={"comfort_notes": None})
    return read


def numbing_choice(
    db: Session,
    client_id: str,
    asked: bool | None,
    *,
    plan_numbing: bool | None = None,
    location: str = "body",
) -> NumbingChoice:
    """Whether the client's booking, hold, quote or search numbs (docs/domain.md#comfort): a 422
    naming ``numbing`` when the client's preference is ``ask`` and the request did not say.
    An unknown client is a 422 naming ``client_id`` (a booking has checked it already)."""
    client = db.get(Client, client_id)
    if client is None:
        raise ValidationFailed(
            f"client_id: no client has id {client_id!r}.",
            [field_error(location, "client_id", "No client has this id.", "unknown_reference")],
        )
    chosen = choose_numbing(asked, preference=client.numbing_preference, plan_numbing=plan_numbing)
    if chosen is None:
        detail = (
            "The client's numbing preference is `ask`: say whether to numb "
            "(`numbing`: true or false)."
        )
        raise ValidationFailed(
            detail, [field_error(location, "numbing", detail, "numbing_required")]
        )
    return chosen


def _render(db: Session, client_id: str, role: Role) -> ClientRead | ClientReference | None:
    """As GET reads a client; an ``integration`` key learns the id only (as when it creates one).
    The change feed hides ``comfort_notes`` from front desk readers of this render
    (events/catalogue.py)."""
    client = db.get(Client, client_id)
    if client is None:
        return None
    if role is Role.integration:
        return ClientReference(id=client.id)
    return client_read(client, role)


renders("client", _render)
