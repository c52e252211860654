"""The pure eligibility rule (docs/domain.md#eligibility)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needleplan.screening.catalogue import CONTRAINDICATION, DEFAULT_CONDITIONS
from needleplan.screening.eligibility import (
    Condition,
    Override,
    ReasonKind,
    Retraction,
    Rules,
    ScreeningFacts,
    Status,
    Verdict,
    age_on,
    assess,
)

CATALOGUE = {
    code: Condition(code, name, kind == CONTRAINDICATION, temporary)
    for code, name, kind, temporary in DEFAULT_CONDITIONS
}
CONTRAINDICATIONS = [c for c in CATALOGUE.values() if c.blocks]
CAUTIONS = [c for c in CATALOGUE.values() if not c.blocks]
ADULT = date(1990, 5, 17)
ON = date(2026, 12, 15)
RULES = Rules(validity_days=30, minimum_age_years=22)


def _screening(on: date, *codes: str, ident: str = "s1", hour: int = 9) -> ScreeningFacts:
    recorded = datetime(on.year, on.month, on.day, hour, tzinfo=UTC)
    return ScreeningFacts(ident, on, recorded, frozenset(codes))


def _assess(*screenings: ScreeningFacts, **kwargs: object) -> Verdict:
    params: dict[str, object] = {
        "on": ON,
        "date_of_birth": ADULT,
        "screenings": list(screenings),
        "catalogue": CATALOGUE,
        "rules": RULES,
    }
    params.update(kwargs)
    return assess(**params)  # type: ignore[arg-type]


def _codes(verdict: Verdict) -> list[str]:
    return [r.code for r in verdict.reasons]


def test_a_clean_recent_screening_is_eligible() -> None:
    verdict = _assess(_screening(ON - timedelta(days=3)))
    assert verdict.status is Status.eligible
    assert verdict.valid_until == ON + timedelta(days=27)


@pytest.mark.parametrize("condition", CONTRAINDICATIONS, ids=lambda c: c.code)
def test_every_contraindication_blocks(condition: Condition) -> None:
    verdict = _assess(_screening(ON, condition.code))
    assert verdict.status is Status.not_eligible
    assert _codes(verdict) == [condition.code]


@pytest.mark.parametrize("condition", CAUTIONS, ids=lambda c: c.code)
def test_every_caution_flags_without_blocking(condition: Condition) -> None:
    verdict = _assess(_screening(ON, condition.code))
    assert verdict.status is Status.eligible_with_cautions
    assert verdict.reasons[0].kind is ReasonKind.caution


def test_no_screening_is_not_eligible() -> None:
    verdict = _assess()
    assert verdict.status is Status.not_eligible
    assert _codes(verdict) == ["no_screening"]


def test_a_screening_after_the_date_asked_does_not_count() -> None:
    assert _codes(_assess(_screening(ON + timedelta(days=1)))) == ["no_screening"]


@pytest.mark.parametrize(("age_days", "expired"), [(0, False), (30, False), (31, True)])
def test_screening_validity_is_30_days(age_days: int, expired: bool) -> None:
    verdict = _assess(_screening(ON - timedelta(days=age_days)))
    assert ("screening_expired" in _codes(verdict)) is expired


def test_under_age_until_the_22nd_birthday() -> None:
    turns_22_tomorrow = date(ON.year - 22, ON.month, ON.day) + timedelta(days=1)
    verdict = _assess(_screening(ON), date_of_birth=turns_22_tomorrow)
    assert _codes(verdict) == ["under_age"]
    assert (
        _codes(_assess(_screening(ON), date_of_birth=turns_22_tomorrow - timedelta(days=1))) == []
    )


def test_leap_day_birthday_counts_from_1_march() -> None:
    born = date(2004, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 21
    assert age_on(born, date(2026, 3, 1)) == 22
    assert age_on(born, date(2028, 2, 29)) == 24


def test_temporary_conditions_clear_with_a_new_screening() -> None:
    old = _screening(
        ON - timedelta(days=10), "active_acne", "sunburn_or_recent_sun_exposure", ident="a"
    )
    new = _screening(ON - timedelta(days=2), ident="b")
    assert _assess(old, new).status is Status.eligible


def test_histories_persist_until_retracted() -> None:
    old = _screening(ON - timedelta(days=60), "keloid_history", ident="a")
    new = _screening(ON - timedelta(days=2), ident="b")
    assert _codes(_assess(old, new)) == ["keloid_history"]
    retracted = Retraction("keloid_history", datetime(2026, 12, 1, tzinfo=UTC))
    assert _codes(_assess(old, new, retractions=[retracted])) == []
    again = _screening(ON - timedelta(days=1), "keloid_history", ident="c", hour=12)
    assert _codes(_assess(old, new, again, retractions=[retracted])) == ["keloid_history"]


def test_override_accepts_listed_reasons_until_its_expiry() -> None:
    screening = _screening(ON, "blood_clotting_disorder", "sensitive_skin")
    override = Override("o1", frozenset({"blood_clotting_disorder"}), ON, "key-1")
    verdict = _assess(screening, overrides=[override])
    assert verdict.status is Status.eligible_with_cautions
    accepted = {r.code: r.accepted_by for r in verdict.reasons}
    assert accepted == {"blood_clotting_disorder": override, "sensitive_skin": None}
    expired = _assess(screening, overrides=[override], on=ON + timedelta(days=1))
    assert expired.status is Status.not_eligible


def test_override_of_age_and_expiry() -> None:
    override = Override("o1", frozenset({"under_age", "screening_expired"}), ON, None)
    verdict = _assess(
        _screening(ON - timedelta(days=40)), date_of_birth=date(2010, 1, 1), overrides=[override]
    )
    assert verdict.status is Status.eligible_with_cautions


codes = st.sampled_from(sorted(CATALOGUE))
screenings = st.lists(
    st.tuples(st.integers(0, 90), st.frozensets(codes, max_size=4)), max_size=4
).map(
    # Distinct recording times: two questionnaires are never recorded at the same instant.
    lambda raw: [
        _screening(ON - timedelta(days=days), *conditions, ident=f"s{i}", hour=i)
        for i, (days, conditions) in enumerate(raw)
    ]
)


@given(screenings=screenings, born_years_ago=st.integers(15, 80))
def test_status_follows_from_the_reasons(
    screenings: list[ScreeningFacts], born_years_ago: int
) -> None:
    verdict = _assess(*screenings, date_of_birth=date(ON.year - born_years_ago, 1, 1))
    blocking = [r for r in verdict.reasons if r.blocks]
    if blocking:
        assert verdict.status is Status.not_eligible
    elif verdict.reasons:
        assert verdict.status is Status.eligible_with_cautions
    else:
        assert verdict.status is Status.eligible
    latest = max(screenings, key=lambda s: (s.screened_on, s.recorded_at), default=None)
    temporary_reasons = {
        r.code for r in verdict.reasons if r.code in CATALOGUE and CATALOGUE[r.code].temporary
    }
    assert temporary_reasons == (
        {c for c in latest.conditions if CATALOGUE[c].temporary} if latest else set()
    )
