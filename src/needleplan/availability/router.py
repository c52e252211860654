from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query

from needleplan.availability import service
from needleplan.availability.schemas import Availability, AvailableSlot
from needleplan.availability.slots import expand
from needleplan.deps import AnyCaller, DbDep, SettingsDep
from needleplan.durations.quote import Intensity
from needleplan.durations.service import numbing_for
from needleplan.kit.localtime import in_zone
from needleplan.kit.time import Instant
from needleplan.kit.transaction import v1_router
from needleplan.problems import ValidationFailed, field_error, problem_responses
from needleplan.sessions.problems import DeviceNotInRoom

router = v1_router(prefix="/availability", tags=["availability"])


def _area_codes(raw: list[str]) -> list[str]:
    codes = [code.strip() for value in raw for code in value.split(",") if code.strip()]
    if not codes:
        raise ValidationFailed(
            "Name at least one treatment area.",
            [field_error("query", "areas", "Name at least one treatment area.", "areas_required")],
        )
    return codes


@router.get("", response_model=Availability, responses=problem_responses(DeviceNotInRoom))
async def get_availability(
    db: DbDep,
    settings: SettingsDep,
    _: AnyCaller,
    areas: Annotated[
        list[
            Annotated[
                str,
                Query(
                    min_length=2, max_length=200, pattern=r"^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$"
                ),
            ]
        ],
        Query(
            min_length=1,
            max_length=20,
            description="Area codes, comma-separated (`areas=full_face,neck`) or repeated.",
            examples=[["full_face,neck"], ["full_face", "neck"]],
        ),
    ],
    starts_from: Annotated[Instant, Query(alias="from", description="Earliest start.")],
    until: Annotated[
        Instant,
        Query(alias="to", description="Starts before this instant (31 days at most after `from`)."),
    ],
    numbing: Annotated[
        bool | None,
        Query(
            description="Numbing first. Left out: the `client_id`'s `numbing_preference` "
            "(`ask` is a 422 naming `numbing`); no numbing when no client is named."
        ),
    ] = None,
    intensity: Intensity = Intensity.standard,
    location_id: Annotated[str | None, Query(max_length=36)] = None,
    provider_id: Annotated[str | None, Query(max_length=36)] = None,
    room_id: Annotated[str | None, Query(max_length=36)] = None,
    device: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=40,
            pattern=r"^[a-z][a-z0-9_]*$",
            description="A device code: its minutes, and only rooms that hold it.",
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=36,
            description="The client to book: only starts where they are free too, and their "
            "numbing preference when `numbing` is left out.",
        ),
    ] = None,
) -> Availability:
    """Free slots: the start instants at which a booking would succeed right now.

    Everything the booking engine checks counts: working plans and exceptions, live sessions,
    unexpired holds, numbing and turnover, the slot grid and minimum notice. One row per start
    and provider, with the first free room by name (or the room asked for). With `client_id`,
    only starts where that client is free too; a search that leaves `numbing` out follows their
    `numbing_preference` (422 naming `numbing` when it is `ask`) and numbs nothing without one.

    With `device`: the device's minutes, and only rooms that hold it (an unknown or inactive
    device is a 422 naming `device`).
    """
    codes = _area_codes(areas)
    location = service.resolve_location(db, location_id, room_id)
    numbing = numbing_for(db, numbing, client_id, location="query")
    runs, zone, offsets = service.search(
        db,
        settings,
        service.Search(
            areas=codes,
            intensity=intensity,
            numbing=numbing,
            starts_from=starts_from,
            until=until,
            location_id=location.id,
            provider_id=provider_id,
            room_id=room_id,
            device=device,
            client_id=client_id,
        ),
    )
    client_leaves = timedelta(minutes=offsets.numbing + offsets.treatment)
    return Availability(
        time_zone=zone.key,
        slots=[
            AvailableSlot(
                starts_at=in_zone(s.starts_at, zone),
                ends_at=in_zone(s.starts_at + client_leaves, zone),
                provider_id=s.provider_id,
                room_id=s.room_id,
            )
            for s in expand(runs, settings.slot_grid_minutes)
        ],
    )
