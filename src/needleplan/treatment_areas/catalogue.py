"""The shipped treatment-area catalogue (docs/domain.md#treatment-areas), from the clinic
article. Clinics edit it."""

from __future__ import annotations

from sqlmodel import Session

from needleplan.models import TreatmentArea
from needleplan.treatment_areas import repository

# code, name, category, min_minutes, max_minutes
DEFAULT_AREAS: tuple[tuple[str, str, str, int, int], ...] = (
    ("under_eye", "Under-eye", "small", 15, 15),
    ("lips", "Lips", "small", 15, 15),
    ("full_face", "Full face", "face", 30, 45),
    ("neck", "Neck", "face", 15, 20),
    ("decolletage", "Décolletage", "face", 15, 20),
    ("hands", "Hands", "small", 15, 20),
    ("chest", "Chest", "body", 60, 75),
    ("back", "Back", "body", 60, 90),
    ("abdomen", "Abdomen", "body", 60, 75),
    ("thighs", "Thighs", "body", 60, 90),
)


def install_default_areas(db: Session) -> int:
    """Add the default areas when the catalogue is empty; a clinic's edits are never overwritten."""
    if not repository.catalogue_is_empty(db):
        return 0
    for code, name, category, min_minutes, max_minutes in DEFAULT_AREAS:
        db.add(
            TreatmentArea(
                code=code,
                name=name,
                category=category,
                min_minutes=min_minutes,
                max_minutes=max_minutes,
            )
        )
    db.flush()
    return len(DEFAULT_AREAS)
