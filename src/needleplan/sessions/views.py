"""How sessions read: instants in the location's offset, segments, screening flags.

Privacy (docs/api.md#privacy): an ``integration`` key never sees notes or the client's cautions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row

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


class _Columns(Mapping[str, Any]):
    """An ORM session read like a row's mapping (``session_read`` after a write)."""

    def __init__(self, session: TreatmentSession) -> None:
        self.session = session

    def __getitem__(self, name: str) -> Any:
        return getattr(self.session, name)

    def __iter__(self) -> Iterator[str]:
        return iter(TreatmentSession.model_fields)

    def __len__(self) -> int:
        return len(TreatmentSession.model_fields)


def session_read(
    session: TreatmentSession | Row[Any], zone: ZoneInfo, verdict: Verdict | None, role: Role
) -> SessionRead:
    """``session`` is the ORM object (after a write) or a Core row of its columns (a read,
    sessions/repository.py ``_readable``). Each column is read once, by name from the row's
    mapping: a Core row's attribute access costs several times more, and a page reads 50. The
    models are constructed, not validated: every value comes typed from the database or the
    rules (tests/sessions/test_session_read.py serialises them with warnings as errors)."""
    row = session._mapping if isinstance(session, Row) else _Columns(session)
    starts_at = row["starts_at"]
    segments = []
    for segment in segments_for(
        row["numbing_minutes"], row["treatment_minutes"], row["turnover_minutes"]
    ):
        start = starts_at + timedelta(minutes=segment.offset_minutes)
        segments.append(
            SessionSegmentRead.model_construct(
                kind=segment.kind,
                starts_at=in_zone(start, zone),
                ends_at=in_zone(start + timedelta(minutes=segment.minutes), zone),
                busy=list(segment.busy),
            )
        )
    reasons = verdict.reasons if verdict else ()
    cautions = [
        CautionRead.model_construct(code=r.code, acknowledged=r.accepted_by is not None)
        for r in reasons
        if r.kind is ReasonKind.caution
    ]
    private = role is Role.integration
    earliest, latest = row["window_earliest_date"], row["window_latest_date"]
    return SessionRead.model_construct(
        id=row["id"],
        client_id=row["client_id"],
        provider_id=row["provider_id"],
        room_id=row["room_id"],
        location_id=row["location_id"],
        areas=row["areas"],
        intensity=Intensity(row["intensity"]),
        numbing=row["numbing"],
        numbing_source=row["numbing_source"],
        starts_at=in_zone(starts_at, zone),
        ends_at=in_zone(row["ends_at"], zone),
        status=row["status"],
        device=row["device_code"],
        version=row["version"],
        segments=segments,
        screening_due=any(r.code in (NO_SCREENING, SCREENING_EXPIRED) for r in reasons),
        cautions=None if private else cautions,
        cancel_reason=row["cancel_reason"],
        notes=None if private else row["notes"],
        hold_id=row["hold_id"],
        plan_id=row["plan_id"],
        needs_reschedule=row["needs_reschedule"],
        reschedule_window=RescheduleWindow.model_construct(
            earliest_date=earliest, latest_date=latest
        )
        if earliest and latest
        else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def integration_view(read: SessionRead) -> SessionRead:
    """The session as an ``integration`` key reads it, from a richer role's read: the same but
    for notes and cautions (what ``session_read`` leaves out for that role)."""
    return read.model_copy(update={"cautions": None, "notes": None})
