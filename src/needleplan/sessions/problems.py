"""The problems a booking can answer with (``NotEligible`` is screening's)."""

from __future__ import annotations

from needleplan.problems import Problem


class ScreeningExpired(Problem):
    status, slug, title = 422, "screening-expired", "Screening expired"
    explanation = (
        "The client has no screening valid today. Screen them again at check-in, then retry."
    )


class CautionsUnacknowledged(Problem):
    status, slug, title = 422, "cautions-unacknowledged", "Cautions not acknowledged"
    explanation = (
        "The client's screening lists cautions that no clinician's override acknowledges yet."
    )


class DeviceNotInRoom(Problem):
    status, slug, title = 422, "device-not-in-room", "Device not in the room"
    explanation = "The booking names a device (or its plan does) that the room does not hold: book a room whose `device_codes` list it, or add the device to the room."


class OffSlotGrid(Problem):
    status, slug, title = 422, "off-slot-grid", "Start not on the slot grid"
    explanation = "Sessions start on the clinic's slot grid (every 5 minutes by default) in local time, on whole minutes."


class InsufficientNotice(Problem):
    status, slug, title = 422, "insufficient-notice", "Too short notice"
    explanation = "The start lies in the past or within the clinic's minimum notice."


class OutsideWorkingHours(Problem):
    status, slug, title = 422, "outside-working-hours", "Outside working hours"
    explanation = "The provider does not work at this location for the whole treatment (weekly plan, extra hours and time off)."


class SlotTaken(Problem):
    status, slug, title = 409, "slot-taken", "Slot taken"
    explanation = "The provider, the room or the client is already busy then. `conflicts` names each resource and the session or hold that holds it."


class TransitionNotAllowed(Problem):
    status, slug, title = 409, "transition-not-allowed", "State transition not allowed"
    explanation = "The session's status does not allow this action (for example cancelling a session that has already arrived), or it is not the time for it yet: a client is checked in from an hour before the start until two hours after the end of the session's local day, a session completes once its treatment has started, and a no-show is recorded once the start has passed. When the action will become possible, `possible_from` says from when."


class HoldMismatch(Problem):
    status, slug, title = 409, "hold-mismatch", "Booking does not match the hold"
    explanation = (
        "A hold converts only into a session with the same client, provider, room, start and areas."
    )


class HoldExpired(Problem):
    status, slug, title = 409, "hold-expired", "Hold expired"
    explanation = "The hold expired or was released before it was converted; book without it or place a new hold."


class HoldConverted(Problem):
    status, slug, title = 409, "hold-converted", "Hold already converted"
    explanation = "The hold became a session, so there is no hold left to release: `session_id` names the session. Cancel the session (`POST /v1/sessions/{id}/cancel`) to free the slot. Releasing a hold that expired or was released already changes nothing (204)."
