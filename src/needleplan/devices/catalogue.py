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
        # Face and small areas: the pen's minimum x 1.5 rounded down and maximum x 5/3 rounded
        # up to 5 minutes, as on the full face (30-45 -> 45-75); body areas, already an hour
        # or more with a pen: +15 and +30 minutes. A clinic's judgement (docs/domain.md#devices).
        {
            "under_eye": (20, 25),
            "lips": (20, 25),
            "full_face": (45, 75),
            "neck": (20, 35),
            "decolletage": (20, 35),
            "hands": (20, 35),
            "chest": (75, 105),
            "back": (75, 120),
            "abdomen": (75, 105),
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
