from __future__ import annotations

from fractions import Fraction

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from needleplan.durations.quote import (
    AreaSpan,
    Intensity,
    Resource,
    SegmentKind,
    area_minutes,
    quote_duration,
)
from tests.conftest import Headers


def _quote(client: TestClient, headers: Headers, **body: object) -> dict[str, object]:
    response = client.post("/v1/duration-quotes", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_under_eye_light_without_numbing(client: TestClient, integration: Headers) -> None:
    quote = _quote(client, integration, areas=["under_eye"], intensity="light", numbing=False)
    assert quote["treatment_minutes"] == 15
    assert quote["numbing_minutes"] == 0
    assert quote["total_minutes"] == 25
    assert quote["segments"] == [
        {
            "kind": "treatment",
            "offset_minutes": 0,
            "minutes": 15,
            "busy": ["client", "provider", "room"],
        },
        {"kind": "turnover", "offset_minutes": 15, "minutes": 10, "busy": ["room"]},
    ]


def test_full_face_standard_with_numbing(client: TestClient, integration: Headers) -> None:
    quote = _quote(client, integration, areas=["full_face"], intensity="standard", numbing=True)
    assert (quote["numbing_minutes"], quote["treatment_minutes"], quote["turnover_minutes"]) == (
        30,
        40,
        10,
    )
    assert quote["total_minutes"] == 80
    assert quote["segments"] == [
        {"kind": "numbing", "offset_minutes": 0, "minutes": 30, "busy": ["client", "room"]},
        {
            "kind": "treatment",
            "offset_minutes": 30,
            "minutes": 40,
            "busy": ["client", "provider", "room"],
        },
        {"kind": "turnover", "offset_minutes": 70, "minutes": 10, "busy": ["room"]},
    ]


def test_back_intensive(client: TestClient, integration: Headers) -> None:
    assert (
        _quote(client, integration, areas=["back"], intensity="intensive")["treatment_minutes"]
        == 90
    )


def test_areas_are_summed_before_rounding(client: TestClient, integration: Headers) -> None:
    # 37.5 + 17.5 = 55, not 40 + 20 = 60 (docs/domain.md#durations).
    quote = _quote(client, integration, areas=["full_face", "neck"], intensity="standard")
    assert quote["treatment_minutes"] == 55


def test_edited_catalogue_changes_the_quote(client: TestClient, admin: Headers) -> None:
    updated = client.patch(
        "/v1/treatment-areas/lips", json={"max_minutes": 25}, headers={**admin, "If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert _quote(client, admin, areas=["lips"], intensity="intensive")["treatment_minutes"] == 25


@pytest.mark.parametrize(
    ("areas", "named"),
    [
        (["full_face", "elbow"], "'elbow'"),
        (["neck", "neck"], "'neck'"),
    ],
)
def test_bad_area_lists_are_named_in_a_problem(
    client: TestClient, integration: Headers, areas: list[str], named: str
) -> None:
    response = client.post("/v1/duration-quotes", json={"areas": areas}, headers=integration)
    assert response.status_code == 422
    problem = response.json()
    assert named in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["areas.1"]


def test_empty_area_list_is_refused(client: TestClient, integration: Headers) -> None:
    response = client.post("/v1/duration-quotes", json={"areas": []}, headers=integration)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "areas"


def test_a_client_cannot_send_an_end(client: TestClient, integration: Headers) -> None:
    response = client.post(
        "/v1/duration-quotes",
        json={"areas": ["lips"], "ends_at": "2027-01-01T10:00:00Z"},
        headers=integration,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ends_at"


spans = st.builds(
    lambda code, low, extra: AreaSpan(code, low, low + extra),
    st.text(alphabet="abcdefgh", min_size=2, max_size=6),
    st.integers(5, 240),
    st.integers(0, 240),
)


@given(
    areas=st.lists(spans, min_size=1, max_size=6),
    intensity=st.sampled_from(list(Intensity)),
    numbing=st.booleans(),
    numbing_minutes=st.integers(20, 60),
    turnover=st.integers(0, 30),
    grid=st.sampled_from([1, 5, 10, 15]),
)
def test_quote_properties(
    areas: list[AreaSpan],
    intensity: Intensity,
    numbing: bool,
    numbing_minutes: int,
    turnover: int,
    grid: int,
) -> None:
    quote = quote_duration(
        areas,
        intensity,
        numbing=numbing,
        numbing_minutes=numbing_minutes,
        turnover_minutes=turnover,
        grid=grid,
    )
    exact = sum((area_minutes(a, intensity) for a in areas), Fraction(0))
    # Every part is on the grid, and rounding never adds a whole grid step.
    for part in (quote.treatment_minutes, quote.numbing_minutes, quote.turnover_minutes):
        assert part % grid == 0
    assert exact <= quote.treatment_minutes < exact + grid
    assert quote.numbing_minutes == (0 if not numbing else -(-numbing_minutes // grid) * grid)
    # Segments are contiguous from the start and add up to the total.
    offset = 0
    for segment in quote.segments:
        assert segment.offset_minutes == offset
        assert segment.minutes > 0
        offset += segment.minutes
    assert offset == quote.total_minutes
    # The provider is busy exactly during the treatment.
    provider_minutes = sum(s.minutes for s in quote.segments if Resource.provider in s.busy)
    assert provider_minutes == quote.treatment_minutes
    assert all(Resource.room in s.busy for s in quote.segments)
    kinds = [s.kind for s in quote.segments]
    assert kinds == sorted(
        kinds, key=[SegmentKind.numbing, SegmentKind.treatment, SegmentKind.turnover].index
    )


@given(area=spans)
def test_intensity_orders_the_minutes(area: AreaSpan) -> None:
    light, standard, intensive = (area_minutes(area, i) for i in Intensity)
    assert area.min_minutes == light <= standard <= intensive == area.max_minutes


def test_a_session_lasts_at_most_a_day(client: TestClient, admin: Headers) -> None:
    for code in ("long_a", "long_b", "long_c"):
        body = {
            "code": code,
            "name": code,
            "category": "body",
            "min_minutes": 480,
            "max_minutes": 480,
        }
        assert client.post("/v1/treatment-areas", json=body, headers=admin).status_code == 201
    assert (
        _quote(client, admin, areas=["long_a", "long_b"], intensity="light")["total_minutes"] == 970
    )
    refused = client.post(
        "/v1/duration-quotes", json={"areas": ["long_a", "long_b", "long_c"]}, headers=admin
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "session_too_long"
