"""Device use cases, and the one lookup of the device a quote, booking or search names."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.service import Caller
from needleplan.devices import repository
from needleplan.devices.schemas import AreaMinutes, DeviceCreate, DeviceRead, DeviceUpdate
from needleplan.events.outbox import renders_row
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.models import Device, TreatmentArea
from needleplan.problems import AlreadyExists, FieldError, ValidationFailed, field_error


def _stored_minutes(db: Session, area_minutes: dict[str, AreaMinutes]) -> dict[str, dict[str, int]]:
    """The map as stored, once every area code is known to the treatment-area catalogue (422
    naming ``area_minutes.<code>`` otherwise). The catalogue is small and areas are never
    deleted, so a look-up per code is enough for an admin's write."""
    unknown = [code for code in area_minutes if db.get(TreatmentArea, code) is None]
    if unknown:
        errors: list[FieldError] = [
            field_error(
                "body",
                f"area_minutes.{code}",
                f"{code!r} is not a treatment area code",
                "unknown_area",
            )
            for code in unknown
        ]
        named = ", ".join(repr(code) for code in unknown)
        raise ValidationFailed(f"Unknown treatment areas in area_minutes: {named}.", errors)
    return {code: minutes.model_dump() for code, minutes in area_minutes.items()}


def create_device(db: Session, caller: Caller, body: DeviceCreate) -> Device:
    if db.get(Device, body.code) is not None:
        raise AlreadyExists(f"A device with code {body.code!r} already exists.")
    device = Device(
        code=body.code,
        name=body.name,
        area_minutes=_stored_minutes(db, body.area_minutes),
        active=body.active,
    )
    db.add(device)
    db.flush()
    record(db, caller, "create", "device", device.code)
    return device


def get_device(db: Session, code: str) -> Device:
    return get_or_404(db, Device, code, what="device")


def list_devices(db: Session, *, limit: int, cursor: str | None) -> tuple[list[Device], str | None]:
    return repository.page_of_devices(db, limit=limit, cursor=cursor)


def update_device(
    db: Session, caller: Caller, code: str, body: DeviceUpdate, if_match: str | None
) -> Device:
    device = get_or_404(db, Device, code, what="device", for_update=True)
    require_if_match(if_match, device.version)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "area_minutes" in changes and body.area_minutes is not None:
        # The map is replaced whole; booked sessions keep the minutes they were booked with.
        changes["area_minutes"] = _stored_minutes(db, body.area_minutes)
    apply_changes(device, changes)
    db.flush()
    record(db, caller, "update", "device", device.code)
    return device


def usable_device(
    db: Session, code: str | None, *, location: str = "body", field: str = "device"
) -> Device | None:
    """The device a quote, hold, booking, search or plan names (None when it names none): an
    unknown or inactive code is a 422 naming ``field``."""
    if code is None:
        return None
    device = db.get(Device, code)
    if device is None:
        raise ValidationFailed(
            f"{field}: no device has code {code!r}.",
            [field_error(location, field, "No device has this code.", "unknown_device")],
        )
    if not device.active:
        raise ValidationFailed(
            f"{field}: the device {code!r} is not in service.",
            [field_error(location, field, "The device is not in service.", "inactive")],
        )
    return device


def minutes_by_area(device: Device | None) -> dict[str, tuple[int, int]]:
    """The device's (min_minutes, max_minutes) per area code; none without a device."""
    if device is None:
        return {}
    return {
        code: (int(span["min_minutes"]), int(span["max_minutes"]))
        for code, span in device.area_minutes.items()
    }


renders_row("device", Device, DeviceRead)
