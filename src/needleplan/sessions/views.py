"""How sessions and holds read: instants in the location's offset, segments, screening flags.

Privacy (docs/api.md#privacy): an ``integration`` key never sees notes or the client's cautions.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from needleplan.auth.roles import Role
from needleplan.durations.quote import segments_for
from needleplan.kit.localtime import in_zone
from needleplan.kit.time import utc_now
from needleplan.models import Hold, TreatmentSession
from needleplan.screening.eligibility import NO_SCREENING, SCREENING_EXPIRED, ReasonKind, Verdict
from needleplan.sessions.schemas import (
    CautionRead,
    HoldRead,
    HoldStatus,
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
        intensity=session.intensity,  # type: ignore[arg-type]
        numbing=session.numbing,
        starts_at=in_zone(session.starts_at, zone),
        ends_at=in_zone(session.ends_at, zone),
        status=session.status,  # type: ignore[arg-type]
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


def hold_status(hold: Hold) -> HoldStatus:
    if hold.session_id is not None:
        return HoldStatus.converted
    if hold.released_at is not None:
        return HoldStatus.released
    if hold.expires_at <= utc_now():
        return HoldStatus.expired
    return HoldStatus.active


def hold_read(hold: Hold, zone: ZoneInfo) -> HoldRead:
    return HoldRead(
        id=hold.id,
        client_id=hold.client_id,
        provider_id=hold.provider_id,
        room_id=hold.room_id,
        location_id=hold.location_id,
        areas=hold.areas,
        intensity=hold.intensity,  # type: ignore[arg-type]
        numbing=hold.numbing,
        starts_at=in_zone(hold.starts_at, zone),
        ends_at=in_zone(hold.ends_at, zone),
        expires_at=in_zone(hold.expires_at, zone),
        status=hold_status(hold),
        session_id=hold.session_id,
    )
