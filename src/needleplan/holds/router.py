from __future__ import annotations

from fastapi import Response

from needleplan.deps import AnyCaller, DbDep, SettingsDep
from needleplan.holds import service
from needleplan.holds.schemas import HoldCreate, HoldRead
from needleplan.holds.views import hold_read
from needleplan.kit.http import created
from needleplan.kit.transaction import v1_router
from needleplan.problems import NotFound, problem_responses
from needleplan.screening.problems import NotEligible
from needleplan.sessions.problems import (
    DeviceNotInRoom,
    HoldConverted,
    InsufficientNotice,
    OffSlotGrid,
    OutsideWorkingHours,
    SlotTaken,
)

router = v1_router(prefix="/holds", tags=["holds"])


@router.post(
    "",
    status_code=201,
    response_model=HoldRead,
    responses=problem_responses(
        NotEligible,
        DeviceNotInRoom,
        OffSlotGrid,
        InsufficientNotice,
        OutsideWorkingHours,
        SlotTaken,
    ),
)
async def create_hold(
    body: HoldCreate, db: DbDep, settings: SettingsDep, caller: AnyCaller, response: Response
) -> HoldRead:
    """Hold a slot for a few minutes (5 by default) while a checkout completes.

    The hold passes every rule a booking does and keeps the provider, room and client busy until
    it expires, is released, or becomes a session (`POST /v1/sessions` with `hold_id`, the same
    device too). A `device` sets the minutes and needs a room holding it (422
    `device-not-in-room`).
    """
    hold, zone = service.create_hold(db, settings, caller, body)
    created(response, f"/v1/holds/{hold.id}")
    return hold_read(hold, zone)


@router.get("/{hold_id}", response_model=HoldRead, responses=problem_responses(NotFound))
async def get_hold(hold_id: str, db: DbDep, _: AnyCaller) -> HoldRead:
    """Get a hold; an expired hold reads as `status: expired`.

    `status` is `active` until the hold expires, is released, or becomes a session
    (`converted`). An unknown id is a 404 (`not-found`).
    """
    hold, zone = service.get_hold(db, hold_id)
    return hold_read(hold, zone)


@router.delete("/{hold_id}", status_code=204, responses=problem_responses(NotFound, HoldConverted))
async def release_hold(hold_id: str, db: DbDep, caller: AnyCaller) -> Response:
    """Release a hold: its slot is free again at once.

    Releasing a hold that already expired or was released changes nothing and still answers
    204. A hold that became a session answers 409 `hold-converted` naming the session (cancel
    that instead). An unknown id is a 404 (`not-found`).
    """
    service.release_hold(db, caller, hold_id)
    return Response(status_code=204)
