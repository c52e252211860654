"""The shipped screening-condition catalogue (docs/domain.md#screening-conditions), from the
clinic article and public clinical sources. Clinics edit it through the API."""

from __future__ import annotations

from sqlmodel import Session

from needleplan.models import ScreeningCondition

CONTRAINDICATION = "contraindication"
CAUTION = "caution"

# code, display name, kind, temporary
DEFAULT_CONDITIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("active_acne", "Active acne", CONTRAINDICATION, True),
    ("active_eczema", "Active eczema", CONTRAINDICATION, True),
    ("keloid_or_raised_scars", "Keloid or raised scars", CONTRAINDICATION, False),
    ("open_wounds_or_sores", "Open wounds or sores", CONTRAINDICATION, True),
    ("keloid_history", "History of keloid scarring", CONTRAINDICATION, False),
    ("eczema_or_psoriasis_history", "History of eczema or psoriasis", CONTRAINDICATION, False),
    ("sunburn_or_recent_sun_exposure", "Sunburn or excessive sun exposure", CONTRAINDICATION, True),
    ("blood_clotting_disorder", "History of blood-clotting disorders", CONTRAINDICATION, False),
    ("poor_wound_healing", "History of poor wound healing", CONTRAINDICATION, False),
    ("active_skin_infection", "Active skin infection (incl. cold sores)", CONTRAINDICATION, True),
    ("isotretinoin_recent", "Isotretinoin in the last 6 months", CONTRAINDICATION, True),
    ("pregnancy", "Pregnancy", CONTRAINDICATION, True),
    (
        "active_skin_cancer_in_area",
        "Active skin cancer in the treatment area",
        CONTRAINDICATION,
        False,
    ),
    ("anesthetic_allergy", "Allergy to topical anaesthetics", CONTRAINDICATION, False),
    ("sensitive_skin", "Sensitive skin", CAUTION, False),
    ("blood_thinners", "Taking blood-thinning medication", CAUTION, True),
    ("rosacea", "Rosacea", CAUTION, False),
    ("melasma", "Melasma", CAUTION, False),
    ("recent_chemical_peel", "Recent chemical peel", CAUTION, True),
    ("recent_fillers_or_toxin", "Recent fillers or botulinum toxin", CAUTION, True),
)


def install_default_conditions(db: Session) -> int:
    """Add the default conditions when the catalogue is empty; a clinic's edits are kept."""
    # Imported here: the repository reads CONTRAINDICATION from this module.
    from needleplan.screening.repository import catalogue_is_empty

    if not catalogue_is_empty(db):
        return 0
    for code, name, kind, temporary in DEFAULT_CONDITIONS:
        db.add(ScreeningCondition(code=code, name=name, kind=kind, temporary=temporary))
    db.flush()
    return len(DEFAULT_CONDITIONS)
