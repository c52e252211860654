"""Whether a client may be treated on a date: the pure rule of docs/domain.md#eligibility.

A client is **not eligible** on a date when their record shows a contraindication, when no
screening exists, when the latest screening is older than the validity period, or when they are
younger than the minimum age. Cautions never block; they make the client *eligible with cautions*.

Temporary conditions (an active breakout, sunburn, pregnancy ...) count only from the latest
screening: a new questionnaire without them clears them. All other conditions (histories,
disorders, allergies) persist from any screening until a clinician retracts that entry.

A clinician's override accepts the reasons it lists, on dates up to and including its expiry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

NO_SCREENING = "no_screening"
SCREENING_EXPIRED = "screening_expired"
UNDER_AGE = "under_age"
REQUIREMENT_CODES = (NO_SCREENING, SCREENING_EXPIRED, UNDER_AGE)


class Status(StrEnum):
    eligible = "eligible"
    eligible_with_cautions = "eligible_with_cautions"
    not_eligible = "not_eligible"


class ReasonKind(StrEnum):
    contraindication = "contraindication"
    caution = "caution"
    screening = "screening"
    age = "age"


@dataclass(frozen=True)
class Condition:
    code: str
    name: str
    blocks: bool
    temporary: bool


@dataclass(frozen=True)
class ScreeningFacts:
    id: str
    screened_on: date
    recorded_at: datetime
    conditions: frozenset[str]


@dataclass(frozen=True)
class Retraction:
    code: str
    recorded_at: datetime


@dataclass(frozen=True)
class Override:
    id: str
    codes: frozenset[str]
    expires_on: date
    created_by_key_id: str | None


@dataclass(frozen=True)
class Rules:
    validity_days: int = 30
    minimum_age_years: int = 22


@dataclass(frozen=True)
class Reason:
    code: str
    kind: ReasonKind
    detail: str
    accepted_by: Override | None = None

    @property
    def blocks(self) -> bool:
        return self.kind is not ReasonKind.caution


@dataclass(frozen=True)
class Verdict:
    status: Status
    reasons: tuple[Reason, ...]
    screening_id: str | None
    valid_until: date | None


def age_on(date_of_birth: date, on: date) -> int:
    """Completed years on ``on``. Someone born on 29 February turns a year older on 1 March in
    non-leap years."""
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def _active_conditions(
    screenings: Sequence[ScreeningFacts],
    latest: ScreeningFacts,
    retractions: Iterable[Retraction],
    catalogue: Mapping[str, Condition],
) -> list[str]:
    last_retracted: dict[str, datetime] = {}
    for retraction in retractions:
        previous = last_retracted.get(retraction.code)
        if previous is None or retraction.recorded_at > previous:
            last_retracted[retraction.code] = retraction.recorded_at

    def still_recorded(code: str, screening: ScreeningFacts) -> bool:
        retracted = last_retracted.get(code)
        return retracted is None or screening.recorded_at > retracted

    active: dict[str, None] = {}
    for code in sorted(latest.conditions):
        if code in catalogue and still_recorded(code, latest):
            active[code] = None
    for screening in screenings:
        for code in sorted(screening.conditions):
            condition = catalogue.get(code)
            if condition and not condition.temporary and still_recorded(code, screening):
                active[code] = None
    return list(active)


def assess(
    *,
    on: date,
    date_of_birth: date,
    screenings: Sequence[ScreeningFacts],
    retractions: Iterable[Retraction] = (),
    overrides: Iterable[Override] = (),
    catalogue: Mapping[str, Condition],
    rules: Rules,
) -> Verdict:
    """The client's eligibility on ``on`` from the screenings recorded up to that date."""
    known = sorted(
        (s for s in screenings if s.screened_on <= on), key=lambda s: (s.screened_on, s.recorded_at)
    )
    reasons: list[Reason] = []
    latest = known[-1] if known else None
    valid_until = None
    if latest is None:
        reasons.append(
            Reason(NO_SCREENING, ReasonKind.screening, "No screening is on file for this date.")
        )
    else:
        valid_until = latest.screened_on + timedelta(days=rules.validity_days)
        if on > valid_until:
            reasons.append(
                Reason(
                    SCREENING_EXPIRED,
                    ReasonKind.screening,
                    f"The latest screening ({latest.screened_on.isoformat()}) is valid until "
                    f"{valid_until.isoformat()}; screen the client again.",
                )
            )
        for code in _active_conditions(known, latest, retractions, catalogue):
            condition = catalogue[code]
            kind = ReasonKind.contraindication if condition.blocks else ReasonKind.caution
            reasons.append(Reason(code, kind, condition.name))
    age = age_on(date_of_birth, on)
    if age < rules.minimum_age_years:
        reasons.append(
            Reason(
                UNDER_AGE,
                ReasonKind.age,
                f"The client is {age}; the minimum age is {rules.minimum_age_years}.",
            )
        )
    reasons = _accept_overridden(reasons, overrides, on)
    return Verdict(
        status=_status(reasons),
        reasons=tuple(reasons),
        screening_id=latest.id if latest else None,
        valid_until=valid_until,
    )


def _accept_overridden(
    reasons: list[Reason], overrides: Iterable[Override], on: date
) -> list[Reason]:
    current = sorted(
        (o for o in overrides if on <= o.expires_on), key=lambda o: o.expires_on, reverse=True
    )
    accepted: list[Reason] = []
    for reason in reasons:
        cover = next((o for o in current if reason.code in o.codes), None)
        accepted.append(Reason(reason.code, reason.kind, reason.detail, cover) if cover else reason)
    return accepted


def _status(reasons: Sequence[Reason]) -> Status:
    if any(r.blocks and r.accepted_by is None for r in reasons):
        return Status.not_eligible
    if reasons:
        # Accepted blocks and cautions still deserve the clinician's attention on the day.
        return Status.eligible_with_cautions
    return Status.eligible
