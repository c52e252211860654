"""How sessions read: instants in the location's offset, segments, screening flags.

Privacy (docs/api.md#privacy): an ``integration`` key never sees notes or the client's cautions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row

from needleplan.auth.roles import Role
from needleplan.durations.quote import segments_for
from needleplan.kit.localtime import in_zone
from needleplan.models import TreatmentSession
from needleplan.screening.eligibility import NO_SCREENING, SCREENING_EXPIRED, ReasonKind, Verdict
from needleplan.sessions.repository import TypedRead
from needleplan.sessions.schemas import SessionRead


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


@functools.lru_cache(maxsize=1024)  # bounded: catalogue edits add new minute splits
def _segment_parts(
    numbing_minutes: int, treatment_minutes: int, turnover_minutes: int
) -> tuple[tuple[str, timedelta, timedelta, tuple[str, ...]], ...]:
    """Each segment's kind, start and end after the session's start, and what it keeps busy,
    as the text JSON shows: a few minute splits recur across every page of sessions."""
    return tuple(
        (
            segment.kind.value,
            timedelta(minutes=segment.offset_minutes),
            timedelta(minutes=segment.offset_minutes + segment.minutes),
            tuple(resource.value for resource in segment.busy),
        )
        for segment in segments_for(numbing_minutes, treatment_minutes, turnover_minutes)
    )


def session_document(
    session: TreatmentSession | Row[Any] | TypedRead,
    zone: ZoneInfo,
    verdict: Verdict | None,
    role: Role,
) -> dict[str, Any]:
    """The session as ``SessionRead`` reads, as plain values: what a page of sessions renders
    straight to JSON (``kit/http.json_document``) and ``session_read`` validates.

    ``session`` is the ORM object (after a write) or a Core row of its columns (a read,
    sessions/repository.py ``_readable``). Each column is read once, by name from the row's
    mapping: a Core row's attribute access costs several times more, and a page reads 50.
    Enumerations are given as their text: serialising an enum member costs ten times as much.
    Every value must already be what the schema says: tests/sessions/test_session_read.py
    checks each way of reading a session against ``SessionRead``."""
    row = _Columns(session) if isinstance(session, TreatmentSession) else session._mapping
    starts_at = row["starts_at"]
    segments = [
        {
            "kind": kind,
            "starts_at": in_zone(starts_at + start, zone),
            "ends_at": in_zone(starts_at + end, zone),
            "busy": list(busy),
        }
        for kind, start, end, busy in _segment_parts(
            row["numbing_minutes"], row["treatment_minutes"], row["turnover_minutes"]
        )
    ]
    reasons = verdict.reasons if verdict else ()
    private = role is Role.integration
    earliest, latest = row["window_earliest_date"], row["window_latest_date"]
    return {
        "id": row["id"],
        "client_id": row["client_id"],
        "provider_id": row["provider_id"],
        "room_id": row["room_id"],
        "location_id": row["location_id"],
        "areas": row["areas"],
        "intensity": row["intensity"],
        "numbing": row["numbing"],
        "numbing_source": row["numbing_source"].value,
        "starts_at": in_zone(starts_at, zone),
        "ends_at": in_zone(row["ends_at"], zone),
        "status": row["status"].value,
        "device": row["device_code"],
        "version": row["version"],
        "segments": segments,
        "screening_due": any(r.code in (NO_SCREENING, SCREENING_EXPIRED) for r in reasons),
        "cautions": None
        if private
        else [
            {"code": r.code, "acknowledged": r.accepted_by is not None}
            for r in reasons
            if r.kind is ReasonKind.caution
        ],
        "cancel_reason": row["cancel_reason"],
        "notes": None if private else row["notes"],
        "hold_id": row["hold_id"],
        "plan_id": row["plan_id"],
        "needs_reschedule": row["needs_reschedule"],
        "reschedule_window": {"earliest_date": earliest, "latest_date": latest}
        if earliest and latest
        else None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def session_read(
    session: TreatmentSession | Row[Any], zone: ZoneInfo, verdict: Verdict | None, role: Role
) -> SessionRead:
    """The session as a validated ``SessionRead`` (after a write, and in events)."""
    return SessionRead.model_validate(session_document(session, zone, verdict, role))


def integration_view(read: SessionRead) -> SessionRead:
    """The session as an ``integration`` key reads it, from a richer role's read: the same but
    for notes and cautions (what ``session_read`` leaves out for that role)."""
    return read.model_copy(update={"cautions": None, "notes": None})
