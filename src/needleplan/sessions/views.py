"""How sessions read: instants in the location's offset, segments, screening flags.

Privacy (docs/api.md#privacy): an ``integration`` key never sees notes or the client's cautions.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from needleplan.auth.roles import Role
from needleplan.durations.quote import Intensity, segments_for
from needleplan.kit.localtime import in_zone
from needleplan.models import TreatmentSession
from needleplan.screening.eligibility import NO_SCREENING, SCREENING_EXPIRED, ReasonKind, Verdict
from needleplan.sessions.schemas import (
    CautionRead,
    RescheduleWindow,
    SessionRead,
    SessionSegmentRead,
)


def session_read(
    session: TreatmentSession, zone: ZoneInfo, verdict: Verdict | None, role: Role
) -> SessionRead:
    segments = []
    for segment in segments_for(
        session.numbing_minutes, session.treatment_minutes, session.turnover_minutes
    ):
        start = session.starts_at + timedelta(minutes=segment.offset_minutes)
        segments.append(
            SessionSegmentRead(
                kind=segment.kind,
                starts_at=in_zone(start, zone),
                ends_at=in_zone(start + timedelta(minutes=segment.minutes), zone),
                busy=list(segment.busy),
            )
        )
    reasons = verdict.reasons if verdict else ()
    cautions = [
        CautionRead(code=r.code, acknowledged=r.accepted_by is not None)
        for r in reasons
        if r.kind is ReasonKind.caution
    ]
    private = role is Role.integration
    return SessionRead(
        id=session.id,
        client_id=session.client_id,
        provider_id=session.provider_id,
        room_id=session.room_id,
        location_id=session.location_id,
        areas=session.areas,
        intensity=Intensity(session.intensity),
        numbing=session.numbing,
        numbing_source=session.numbing_source,
        starts_at=in_zone(session.starts_at, zone),
        ends_at=in_zone(session.ends_at, zone),
        status=session.status,
        device=session.device_code,
        version=session.version,
        segments=segments,
        screening_due=any(r.code in (NO_SCREENING, SCREENING_EXPIRED) for r in reasons),
        cautions=None if private else cautions,
        cancel_reason=session.cancel_reason,
        notes=None if private else session.notes,
        hold_id=session.hold_id,
        plan_id=session.plan_id,
        needs_reschedule=session.needs_reschedule,
        reschedule_window=RescheduleWindow(
            earliest_date=session.window_earliest_date, latest_date=session.window_latest_date
        )
        if session.window_earliest_date and session.window_latest_date
        else None,
        created_at=session.created_at,
        updated_at=session.updated_at,
    )


def integration_view(read: SessionRead) -> SessionRead:
    """The session as an ``integration`` key reads it, from a richer role's read: the same but
    for notes and cautions (what ``session_read`` leaves out for that role)."""
    return read.model_copy(update={"cautions": None, "notes": None})
