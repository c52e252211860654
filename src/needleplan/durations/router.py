from __future__ import annotations

from needleplan.deps import AnyCaller, DbDep, SettingsDep
from needleplan.devices.service import usable_device
from needleplan.durations import service
from needleplan.durations.schemas import DurationQuoteRead, DurationQuoteRequest, SegmentRead
from needleplan.kit.transaction import reads_only, v1_router

router = v1_router(prefix="/duration-quotes", tags=["duration-quotes"])


@router.post("", response_model=DurationQuoteRead)
@reads_only
async def quote_duration(
    body: DurationQuoteRequest, db: DbDep, settings: SettingsDep, _: AnyCaller
) -> DurationQuoteRead:
    """Quote a session's duration from the areas treated.

    Light intensity takes each area's minimum minutes, standard the midpoint, intensive the
    maximum; the sum is rounded up to the 5-minute grid. Numbing (when asked) comes first and
    keeps only the client and room busy; the room's turnover comes last. A quote that leaves
    `numbing` out follows the `client_id`'s `numbing_preference` (422 naming `numbing` when it
    is `ask`), and numbs nothing when no client is named. With a `device`, its
    minutes replace an area's own where it names the area (422 naming `device` when it is
    unknown or inactive).
    """
    device = usable_device(db, body.device)
    numbing = service.numbing_for(db, body.numbing, body.client_id)
    quote = service.quote_for_codes(
        db, settings, body.areas, body.intensity, numbing=numbing, device=device
    )
    return DurationQuoteRead(
        areas=body.areas,
        intensity=body.intensity,
        device=body.device,
        treatment_minutes=quote.treatment_minutes,
        numbing_minutes=quote.numbing_minutes,
        turnover_minutes=quote.turnover_minutes,
        total_minutes=quote.total_minutes,
        segments=[
            SegmentRead(
                kind=s.kind, offset_minutes=s.offset_minutes, minutes=s.minutes, busy=list(s.busy)
            )
            for s in quote.segments
        ],
    )
