"""The shipped reminders and care notices (docs/domain.md#care-notices names each one's source).
Clinics edit them."""

from __future__ import annotations

from sqlmodel import Session

from needleplan.kit.statuses import NoticeAnchor, NoticeKind
from needleplan.models import CareNotice
from needleplan.notices import repository, service

HOUR = 60

# code, kind, anchor, offset_minutes, text
DEFAULT_NOTICES: tuple[tuple[str, NoticeKind, NoticeAnchor, int, str], ...] = (
    (
        "pre_care_72h",
        NoticeKind.pre_care,
        NoticeAnchor.start,
        -72 * HOUR,
        "Your micro-needling session is in three days. Until then, avoid sun exposure and "
        "tanning, and stop retinoids (retinol, tretinoin, adapalene) and exfoliating acids. "
        "Tell us if you have an active breakout or a sunburn on the area: it cannot be treated "
        "until it has settled.",
    ),
    (
        "reminder_24h",
        NoticeKind.reminder,
        NoticeAnchor.start,
        -24 * HOUR,
        "Reminder: your micro-needling session is tomorrow. Please come with clean skin, "
        "without make-up on the area to be treated.",
    ),
    (
        "reminder_2h",
        NoticeKind.reminder,
        NoticeAnchor.start,
        -2 * HOUR,
        "Reminder: your micro-needling session starts in two hours.",
    ),
    (
        "aftercare_end",
        NoticeKind.aftercare,
        NoticeAnchor.end,
        0,
        "After micro-needling the skin is usually red and slightly swollen for a few hours to a "
        "few days, and may itch or feel dry. Cool compresses and a gentle moisturiser help. Keep "
        "the area clean and out of the sun, and leave make-up off for the rest of the day.",
    ),
    (
        "aftercare_sun_24h",
        NoticeKind.aftercare,
        NoticeAnchor.end,
        24 * HOUR,
        "Your skin is more sensitive to the sun after micro-needling: use a broad-spectrum "
        "sunscreen of SPF 30 or higher every day and avoid direct sun for at least a week. Call "
        "us if redness or swelling gets worse instead of better.",
    ),
)


def install_default_notices(db: Session) -> int:
    """Add the default notices when there are none; a clinic's edits are never overwritten.
    Installing them also schedules the notices of every booked session starting after now
    (``service.schedule_upcoming``), in the same transaction: a clinic upgrading to care notices
    keeps reminders for the calendar it already has. Once the catalogue has rows, nothing is
    scheduled here again."""
    if not repository.catalogue_is_empty(db):
        return 0
    for code, kind, anchor, offset_minutes, text in DEFAULT_NOTICES:
        db.add(
            CareNotice(
                code=code, kind=kind, anchor=anchor, offset_minutes=offset_minutes, text=text
            )
        )
    db.flush()
    service.schedule_upcoming(db)
    return len(DEFAULT_NOTICES)
