"""The shipped devices (docs/domain.md#devices), each figure's source named there. Clinics
edit them."""

from __future__ import annotations

from sqlmodel import Session

from needleplan.devices import repository
from needleplan.models import Device, TreatmentArea

# code, name, {area code: (min_minutes, max_minutes)} replacing the area's own minutes.
DEFAULT_DEVICES: tuple[tuple[str, str, dict[str, tuple[int, int]]], ...] = (
    # A pen takes the treatment-area catalogue's own minutes, which are pen minutes.
    ("microneedling_pen", "Microneedling pen", {}),
    (
        "rf_microneedling",
        "RF microneedling",
        {
            "under_eye": (20, 25),
            "lips": (20, 25),
            "full_face": (45, 75),
            "neck": (20, 30),
            "decolletage": (20, 30),
            "hands": (20, 30),
            "chest": (75, 90),
            "back": (75, 120),
            "abdomen": (75, 90),
            "thighs": (75, 120),
        },
    ),
)


def install_default_devices(db: Session) -> int:
    """Add the default devices when there are none; a clinic's edits are never overwritten.
    Minutes for an area the clinic's catalogue does not have are left out."""
    if not repository.catalogue_is_empty(db):
        return 0
    for code, name, minutes in DEFAULT_DEVICES:
        db.add(
            Device(
                code=code,
                name=name,
                area_minutes={
                    area: {"min_minutes": low, "max_minutes": high}
                    for area, (low, high) in minutes.items()
                    if db.get(TreatmentArea, area) is not None
                },
            )
        )
    db.flush()
    return len(DEFAULT_DEVICES)
