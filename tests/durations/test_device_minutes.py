"""The device rule (docs/domain.md#devices), alone: a device's minutes replace an area's own
where the device names the area; every other area keeps its own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from needleplan.durations.quote import AreaSpan, Intensity, quote_duration, with_device_minutes

FACE = AreaSpan("full_face", 30, 45)
NECK = AreaSpan("neck", 15, 20)


def test_a_device_replaces_the_minutes_of_the_areas_it_names() -> None:
    spans = with_device_minutes([FACE, NECK], {"full_face": (45, 75)})
    assert spans == [AreaSpan("full_face", 45, 75), NECK]


def test_no_device_or_a_device_without_minutes_keeps_the_areas_own() -> None:
    assert with_device_minutes([FACE, NECK], {}) == [FACE, NECK]
    assert with_device_minutes([FACE], {"back": (75, 120)}) == [FACE]


def test_the_order_and_repeats_of_the_areas_are_kept() -> None:
    spans = with_device_minutes([NECK, FACE], {"neck": (20, 30)})
    assert [s.code for s in spans] == ["neck", "full_face"]
    assert spans[0] == AreaSpan("neck", 20, 30)


def test_an_rf_quote_differs_from_the_pens() -> None:
    def treatment(spans: list[AreaSpan]) -> int:
        quote = quote_duration(
            spans,
            Intensity.standard,
            numbing=False,
            numbing_minutes=30,
            turnover_minutes=10,
            grid=5,
        )
        return quote.treatment_minutes

    pen = with_device_minutes([FACE], {})
    rf = with_device_minutes([FACE], {"full_face": (45, 75)})
    assert (treatment(pen), treatment(rf)) == (40, 60)


minutes = st.tuples(st.integers(5, 480), st.integers(5, 480)).map(sorted).map(tuple)
codes = st.sampled_from(["full_face", "neck", "lips", "back"])


@given(
    areas=st.lists(st.builds(lambda c, m: AreaSpan(c, *m), codes, minutes), min_size=1),
    device=st.dictionaries(codes, minutes),
)
def test_each_area_takes_the_devices_minutes_if_named_else_its_own(
    areas: list[AreaSpan], device: dict[str, tuple[int, int]]
) -> None:
    spans = with_device_minutes(areas, device)
    assert len(spans) == len(areas)
    for area, span in zip(areas, spans, strict=True):
        assert span.code == area.code
        expected = device.get(area.code, (area.min_minutes, area.max_minutes))
        assert (span.min_minutes, span.max_minutes) == expected
