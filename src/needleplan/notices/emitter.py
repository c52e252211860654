"""The worker's notice lane: emits ``session.notice_due`` for each notice that fell due.

One transaction claims due notices (notices/repository.py ``claim_due``: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), marks each ``emitted`` and queues its event, which the commit writes
through the outbox with its webhook deliveries. A worker killed before the commit leaves the
notices scheduled for the next claim, and one that commits has marked them: each notice is
emitted once per session version, by whichever worker claimed it. ``needleplan worker`` and the
worker ``needleplan serve`` starts run it next to the webhook lanes.
"""

from __future__ import annotations

import logging
import threading

from needleplan.config import Settings
from needleplan.db import Database
from needleplan.events.outbox import emit_with_data
from needleplan.kit.statuses import NoticeState
from needleplan.kit.time import utc_now
from needleplan.locations.service import zones_of
from needleplan.notices import repository
from needleplan.notices.rules import moot
from needleplan.notices.service import due_payload

log = logging.getLogger("needleplan.notices")

EVENT_TYPE = "session.notice_due"


def run_once(database: Database, *, limit: int = 50) -> int:
    """Emit up to ``limit`` due notices in one transaction; the number claimed (emitted, or
    cancelled: their care notice was switched off, or a reminder missed its session's start)."""
    with database.transaction(write=False) as db:
        if not repository.any_due(db, utc_now()):
            return 0
    with database.transaction() as db:
        now = utc_now()
        notices = repository.claim_due(db, now, limit)
        if not notices:
            return 0
        sessions = repository.sessions_by_id(db, sorted({n.session_id for n in notices}))
        templates = repository.templates_by_code(db, sorted({n.notice_code for n in notices}))
        zones = zones_of(db, {s.location_id for s in sessions.values()})
        for notice in notices:
            template = templates.get(notice.notice_code)
            notice.updated_at = now
            session = sessions[notice.session_id]
            if (
                template is None
                or not template.active
                or moot(notice.due_at, session.starts_at, now)
            ):
                # Switched off since it was scheduled, or a reminder too late to be of use.
                notice.state = NoticeState.cancelled
                continue
            notice.state = NoticeState.emitted
            notice.emitted_at = now
            data = due_payload(notice, template, session, zones[session.location_id])
            emit_with_data(db, EVENT_TYPE, "session", session.id, data)
        db.flush()
        return len(notices)


def run_lane(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Emit due notices until ``stop`` is set: at once while some are due, then every
    ``NEEDLEPLAN_NOTICE_POLL_SECONDS``."""
    while not stop.is_set():
        try:
            if run_once(database, limit=settings.notice_batch_size) == 0:
                stop.wait(settings.notice_poll_seconds)
        except Exception:  # the database may be down: keep trying
            log.exception("emitting due notices failed")
            stop.wait(max(settings.notice_poll_seconds, 1.0))


def start(database: Database, settings: Settings, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=run_lane, args=(database, settings, stop), name="notices", daemon=True
    )
    thread.start()
    return thread
