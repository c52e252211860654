"""Treatment-plan use cases: create, read with its course, update, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.clients.comfort import choose_numbing
from needleplan.config import Settings
from needleplan.course_templates.service import check_device, template_for_plan
from needleplan.durations.quote import Intensity
from needleplan.durations.service import check_area_codes
from needleplan.events.outbox import renders
from needleplan.kit.crud import apply_changes, get_or_404, require_reference
from needleplan.kit.etag import check_if_match, require_if_match
from needleplan.kit.localtime import in_zone, local_date
from needleplan.kit.statuses import NumbingPreference, SessionStatus
from needleplan.kit.time import utc_now
from needleplan.locations.service import zone_of, zones_of
from needleplan.models import (
    Client,
    CourseTemplate,
    Location,
    Provider,
    TreatmentPlan,
    TreatmentSession,
)
from needleplan.plans import course, repository
from needleplan.plans.problems import PlanTransitionNotAllowed, a_plan
from needleplan.plans.schemas import (
    PlanCreate,
    PlanRead,
    PlanSessionRead,
    PlanStatus,
    PlanUpdate,
    WindowRead,
)
from needleplan.plans.windows import Window, window_after
from needleplan.problems import ValidationFailed, field_error
from needleplan.screening.service import check_eligibility


def create_plan(db: Session, settings: Settings, caller: Caller, body: PlanCreate) -> TreatmentPlan:
    client = require_reference(db, Client, body.client_id, field="client_id", what="client")
    location = require_reference(
        db, Location, body.location_id, field="location_id", what="location"
    )
    if body.provider_id is not None:
        require_reference(db, Provider, body.provider_id, field="provider_id", what="provider")
    template = None if body.template is None else template_for_plan(db, body.template)
    filled = _course_of(body, template, settings, client.numbing_preference)
    check_area_codes(db, filled.areas)
    if filled.device is not None:
        # A device the body names is the body's; one the template names is the template's.
        check_device(
            db, filled.device, field="device" if "device" in body.model_fields_set else "template"
        )
    if filled.min_interval_days > filled.max_interval_days:
        raise ValidationFailed(
            "min_interval_days must not exceed max_interval_days.",
            [field_error("body", "min_interval_days", "Exceeds max_interval_days.", "range")],
        )
    today = local_date(utc_now(), ZoneInfo(location.time_zone))
    check_eligibility(db, settings, caller, body.client_id, today)
    plan = TreatmentPlan(
        client_id=body.client_id,
        location_id=body.location_id,
        provider_id=body.provider_id,
        areas=filled.areas,
        intensity=filled.intensity.value,
        device_code=filled.device,
        numbing=filled.numbing,
        sessions_planned=filled.sessions_planned,
        min_interval_days=filled.min_interval_days,
        max_interval_days=filled.max_interval_days,
        template=body.template,
        status=body.status,
        notes=body.notes,
    )
    db.add(plan)
    db.flush()
    record(db, caller, "create", "treatment_plan", plan.id)
    return plan


@dataclass(frozen=True)
class _Course:
    """What a new plan holds: the body's fields, else its template's, else the defaults."""

    areas: list[str]
    intensity: Intensity
    device: str | None
    numbing: bool
    sessions_planned: int
    min_interval_days: int
    max_interval_days: int


def _course_of(
    body: PlanCreate,
    template: CourseTemplate | None,
    settings: Settings,
    preference: NumbingPreference,
) -> _Course:
    if body.areas is not None:
        areas = body.areas
    elif template is not None:
        areas = list(template.areas)
    else:
        raise ValidationFailed(
            "areas: a plan without a template names its areas.",
            [field_error("body", "areas", "Required when no template is given.", "areas_required")],
        )
    # The request, then the client's standing answer (always or never: the client said so),
    # then the template, chosen for the course but not for this client
    # (docs/domain.md#course-templates); the rule is the bookings' (clients/comfort.py).
    chosen = choose_numbing(body.numbing, preference=preference)
    if chosen is not None:
        numbing = chosen.numbing
    elif template is not None:
        numbing = template.numbing
    else:
        detail = (
            "The client's numbing preference is `ask`: say whether to numb "
            "(`numbing`: true or false), or name a course template."
        )
        raise ValidationFailed(detail, [field_error("body", "numbing", detail, "numbing_required")])
    given = body.model_fields_set
    return _Course(
        areas=areas,
        intensity=body.intensity
        or (Intensity(template.intensity) if template else Intensity.standard),
        device=body.device if "device" in given or template is None else template.device_code,
        numbing=numbing,
        sessions_planned=body.sessions_planned
        or (template.sessions_planned if template else _DEFAULT_SESSIONS),
        min_interval_days=body.min_interval_days
        or (template.interval_min_days if template else settings.plan_min_interval_days),
        max_interval_days=body.max_interval_days
        or (template.interval_max_days if template else settings.plan_max_interval_days),
    )


_DEFAULT_SESSIONS = 3


def get_plan(db: Session, plan_id: str, *, for_update: bool = False) -> TreatmentPlan:
    return get_or_404(db, TreatmentPlan, plan_id, what="treatment plan", for_update=for_update)


def list_plans(
    db: Session, *, client_id: str | None, status: PlanStatus | None, limit: int, cursor: str | None
) -> tuple[list[TreatmentPlan], str | None]:
    return repository.page_of_plans(
        db, client_id=client_id, status=status, limit=limit, cursor=cursor
    )


_CLOSED = frozenset({PlanStatus.completed, PlanStatus.cancelled})


def next_window(
    plan: TreatmentPlan, counting: list[TreatmentSession], zone: ZoneInfo
) -> Window | None:
    """Null before the first session, once all are booked, and for a closed plan."""
    if plan.status in _CLOSED or not counting or len(counting) >= plan.sessions_planned:
        return None
    return window_after(
        counting[-1].starts_at,
        len(counting) + 1,
        zone,
        plan.min_interval_days,
        plan.max_interval_days,
    )


def window_read(window: Window, zone: ZoneInfo) -> WindowRead:
    return WindowRead(
        session_number=window.number,
        earliest_date=window.earliest_date,
        latest_date=window.latest_date,
        starts_at=in_zone(window.starts_at, zone),
        ends_at=in_zone(window.ends_at, zone),
    )


def plan_read(db: Session, plan: TreatmentPlan, *, private: bool) -> PlanRead:
    sessions = repository.sessions_by_plan(db, [plan.id]).get(plan.id, [])
    return _plan_read(plan, sessions, zone_of(db, plan.location_id), private=private)


def plans_read(db: Session, plans: list[TreatmentPlan], *, private: bool) -> list[PlanRead]:
    """Plans with their courses, in two statements whatever the number of plans."""
    if not plans:
        return []
    courses = repository.sessions_by_plan(db, [p.id for p in plans])
    zones = zones_of(db, {p.location_id for p in plans})
    return [
        _plan_read(p, courses.get(p.id, []), zones[p.location_id], private=private) for p in plans
    ]


def _plan_read(
    plan: TreatmentPlan, sessions: list[TreatmentSession], zone: ZoneInfo, *, private: bool
) -> PlanRead:
    counting = [s for s in sessions if s.status in course.COUNTING]
    numbers = {s.id: k for k, s in enumerate(counting, start=1)}
    window = next_window(plan, counting, zone)
    return PlanRead(
        id=plan.id,
        client_id=plan.client_id,
        location_id=plan.location_id,
        provider_id=plan.provider_id,
        areas=plan.areas,
        intensity=Intensity(plan.intensity),
        device=plan.device_code,
        numbing=plan.numbing,
        sessions_planned=plan.sessions_planned,
        min_interval_days=plan.min_interval_days,
        max_interval_days=plan.max_interval_days,
        template=plan.template,
        status=plan.status,
        notes=None if private else plan.notes,
        completed_at=plan.completed_at,
        version=plan.version,
        sessions=[
            PlanSessionRead(
                id=s.id,
                number=numbers.get(s.id),
                starts_at=in_zone(s.starts_at, zone),
                ends_at=in_zone(s.ends_at, zone),
                status=s.status,
                provider_id=s.provider_id,
                room_id=s.room_id,
                needs_reschedule=s.needs_reschedule,
            )
            for s in sessions
        ],
        next_window=window_read(window, zone) if window else None,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def update_plan(
    db: Session, caller: Caller, plan_id: str, body: PlanUpdate, if_match: str | None
) -> TreatmentPlan:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("provider_id") is not None:
        require_reference(
            db, Provider, changes["provider_id"], field="provider_id", what="provider"
        )
    if "areas" in changes:
        check_area_codes(db, changes["areas"])
    if "device" in changes:
        device = changes.pop("device")
        if device is not None:
            check_device(db, device)
        changes["device_code"] = device
    plan = get_plan(db, plan_id, for_update=True)
    require_if_match(if_match, plan.version)
    if "status" in changes:
        wanted: PlanStatus = changes["status"]
        if wanted is not plan.status and not (
            plan.status is PlanStatus.draft and wanted is PlanStatus.active
        ):
            raise PlanTransitionNotAllowed(
                f"{a_plan(plan.status)} cannot {_BY_PATCH.get(wanted, f'become {wanted}')}."
            )
    if "intensity" in changes:
        changes["intensity"] = changes["intensity"].value
    minimum = changes.get("min_interval_days", plan.min_interval_days)
    maximum = changes.get("max_interval_days", plan.max_interval_days)
    if minimum > maximum:
        raise ValidationFailed(
            "min_interval_days must not exceed max_interval_days.",
            [field_error("body", "min_interval_days", "Exceeds max_interval_days.", "range")],
        )
    apply_changes(plan, changes)
    db.flush()
    if {"min_interval_days", "max_interval_days", "sessions_planned"} & changes.keys():
        course.reflag(db, plan)
        course.complete_if_done(db, plan)
    record(db, caller, "update", "treatment_plan", plan.id)
    return plan


_BY_PATCH = {
    PlanStatus.draft: "go back to draft",
    PlanStatus.active: "be started",
    PlanStatus.cancelled: "be cancelled through PATCH; POST .../cancel cancels a plan",
    PlanStatus.completed: (
        "be completed through PATCH; a plan completes when its last session is fulfilled"
    ),
}


def cancel_plan(
    db: Session, caller: Caller, plan_id: str, if_match: str | None
) -> tuple[TreatmentPlan, list[str]]:
    plan = get_plan(db, plan_id, for_update=True)
    check_if_match(if_match, plan.version)
    if plan.status in _CLOSED:
        raise PlanTransitionNotAllowed(f"{a_plan(plan.status)} cannot be cancelled.")
    apply_changes(plan, {"status": PlanStatus.cancelled})
    db.flush()
    record(db, caller, "cancel", "treatment_plan", plan.id)
    booked = [
        s.id for s in course.counting_sessions(db, plan.id) if s.status is SessionStatus.booked
    ]
    return plan, booked


def _render(db: Session, plan_id: str, role: Role) -> PlanRead | None:
    plan = db.get(TreatmentPlan, plan_id)
    return None if plan is None else plan_read(db, plan, private=role is Role.integration)


renders("treatment_plan", _render)
