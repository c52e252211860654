"""A client's eligibility facts, and the compact JSON form of their screenings, retractions
and overrides (the eligibility summary row; the birth date stays on the client's row).

Pure: no I/O. ``decode(born, encode(record)) == record``; the summary keeps every fact the rule
(eligibility.py) reads, including what makes a verdict depend on the date asked (screening
dates, override expiries), so the rule still runs at every read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from needleplan.screening.eligibility import Override, Retraction, ScreeningFacts


@dataclass
class ClientRecord:
    """Everything the eligibility rule needs about one client."""

    date_of_birth: date
    screenings: list[ScreeningFacts] = field(default_factory=list)
    retractions: list[Retraction] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)


def encode(record: ClientRecord) -> dict[str, Any]:
    return {
        "screenings": [
            [s.id, s.screened_on.isoformat(), s.recorded_at.isoformat(), sorted(s.conditions)]
            for s in record.screenings
        ],
        "retractions": [[r.code, r.recorded_at.isoformat()] for r in record.retractions],
        "overrides": [
            [o.id, sorted(o.codes), o.expires_on.isoformat(), o.created_by_key_id]
            for o in record.overrides
        ],
    }


def decode(date_of_birth: date, facts: dict[str, Any]) -> ClientRecord:
    return ClientRecord(
        date_of_birth=date_of_birth,
        screenings=[
            ScreeningFacts(
                screening_id,
                date.fromisoformat(screened_on),
                datetime.fromisoformat(recorded_at),
                frozenset(conditions),
            )
            for screening_id, screened_on, recorded_at, conditions in facts["screenings"]
        ],
        retractions=[
            Retraction(code, datetime.fromisoformat(recorded_at))
            for code, recorded_at in facts["retractions"]
        ],
        overrides=[
            Override(override_id, frozenset(codes), date.fromisoformat(expires_on), created_by)
            for override_id, codes, expires_on, created_by in facts["overrides"]
        ],
    )
