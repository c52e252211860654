from __future__ import annotations

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.events.outbox import renders, renders_row
from needleplan.kit.crud import apply_changes, get_or_404, require_reference
from needleplan.kit.etag import require_if_match
from needleplan.models import Location, Provider, ProviderException, WorkingInterval
from needleplan.problems import NotFound, ValidationFailed, field_error
from needleplan.providers import repository
from needleplan.providers.schemas import (
    ProviderCreate,
    ProviderExceptionCreate,
    ProviderExceptionRead,
    ProviderRead,
    ProviderUpdate,
    Weekday,
    WorkingIntervalRead,
    WorkingPlan,
    WorkingPlanRead,
)
from needleplan.providers.schemas import WorkingInterval as WorkingIntervalBody
from needleplan.providers.working_plan import PlanInterval, plan_conflicts


def create_provider(db: Session, caller: Caller, body: ProviderCreate) -> Provider:
    provider = Provider(**body.model_dump())
    db.add(provider)
    db.flush()
    record(db, caller, "create", "provider", provider.id)
    return provider


def get_provider(db: Session, provider_id: str) -> Provider:
    return get_or_404(db, Provider, provider_id, what="provider")


def list_providers(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[Provider], str | None]:
    return repository.page_of_providers(db, limit=limit, cursor=cursor)


def update_provider(
    db: Session, caller: Caller, provider_id: str, body: ProviderUpdate, if_match: str | None
) -> Provider:
    provider = get_or_404(db, Provider, provider_id, what="provider", for_update=True)
    require_if_match(if_match, provider.version)
    apply_changes(provider, body.model_dump(exclude_unset=True))
    db.flush()
    record(db, caller, "update", "provider", provider.id)
    return provider


def _as_body(row: WorkingInterval) -> WorkingIntervalBody:
    return WorkingIntervalBody(
        location_id=row.location_id,
        weekday=Weekday.from_iso(row.weekday),
        start_time=row.start_time,
        end_time=row.end_time,
    )


def get_working_plan(db: Session, provider_id: str) -> list[WorkingIntervalBody]:
    get_or_404(db, Provider, provider_id, what="provider")
    rows = repository.working_intervals(db, provider_id)
    return [_as_body(row) for row in rows]


def replace_working_plan(
    db: Session, caller: Caller, provider_id: str, plan: WorkingPlan
) -> list[WorkingIntervalBody]:
    for index, interval in enumerate(plan.intervals):
        require_reference(
            db,
            Location,
            interval.location_id,
            field=f"intervals.{index}.location_id",
            what="location",
        )
    intervals = [
        PlanInterval(i.weekday.iso, i.start_time, i.end_time, i.location_id) for i in plan.intervals
    ]
    conflicts = plan_conflicts(intervals)
    if conflicts:
        raise ValidationFailed(
            "Working-plan intervals overlap on the same weekday.",
            [
                field_error(
                    "body", f"intervals.{later}", f"overlaps intervals.{earlier}", "overlap"
                )
                for earlier, later in conflicts
            ],
        )
    get_or_404(db, Provider, provider_id, what="provider", for_update=True)
    repository.delete_working_plan(db, provider_id)
    for planned in intervals:
        db.add(
            WorkingInterval(
                provider_id=provider_id,
                location_id=planned.location_id,
                weekday=planned.weekday,
                start_time=planned.start_time,
                end_time=planned.end_time,
            )
        )
    db.flush()
    record(db, caller, "replace_working_plan", "provider", provider_id)
    return sorted(plan.intervals, key=lambda i: (i.weekday.iso, i.start_time))


def create_exception(
    db: Session, caller: Caller, provider_id: str, body: ProviderExceptionCreate
) -> ProviderException:
    if body.location_id is not None:
        require_reference(db, Location, body.location_id, field="location_id", what="location")
    get_or_404(db, Provider, provider_id, what="provider")
    exception = ProviderException(provider_id=provider_id, **body.model_dump())
    db.add(exception)
    db.flush()
    record(db, caller, "create", "provider_exception", exception.id)
    return exception


def list_exceptions(
    db: Session, provider_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ProviderException], str | None]:
    get_or_404(db, Provider, provider_id, what="provider")
    return repository.page_of_exceptions(db, provider_id, limit=limit, cursor=cursor)


def delete_exception(db: Session, caller: Caller, provider_id: str, exception_id: str) -> None:
    get_or_404(db, Provider, provider_id, what="provider")
    exception = db.get(ProviderException, exception_id)
    if exception is None or exception.provider_id != provider_id:
        raise NotFound(f"Provider {provider_id!r} has no exception {exception_id!r}.")
    db.delete(exception)
    db.flush()
    record(db, caller, "delete", "provider_exception", exception_id)


def _render_working_plan(db: Session, provider_id: str, role: Role) -> WorkingPlanRead:
    """As ``GET /v1/providers/{provider_id}/working-plan`` reads it."""
    return WorkingPlanRead(
        provider_id=provider_id,
        intervals=[
            WorkingIntervalRead(
                location_id=row.location_id,
                weekday=Weekday.from_iso(row.weekday),
                start_time=row.start_time.strftime("%H:%M"),
                end_time=row.end_time.strftime("%H:%M"),
            )
            for row in repository.working_intervals(db, provider_id)
        ],
    )


renders_row("provider", Provider, ProviderRead)
renders_row("provider_exception", ProviderException, ProviderExceptionRead)
renders("working_plan", _render_working_plan)
