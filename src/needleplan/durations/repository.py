"""The statement that reads the treatment-area catalogue's minutes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from needleplan.models import TreatmentArea

# Read by every booking, quote and search: plain rows from a statement built once.
_SPANS = select(
    col(TreatmentArea.code), col(TreatmentArea.min_minutes), col(TreatmentArea.max_minutes)
).where(col(TreatmentArea.code).in_(bindparam("codes", expanding=True)))


def area_minutes(db: Session, codes: Sequence[str]) -> list[tuple[str, int, int]]:
    """(code, min_minutes, max_minutes) of those of ``codes`` the catalogue knows."""
    rows = db.connection().execute(_SPANS, {"codes": list(codes)})
    return [(code, low, high) for code, low, high in rows]
