"""Keeps every client's eligibility summary (models/eligibility_summary.py) in step with its
screenings, retractions and overrides.

The use case that records one of them queues the client (``follow``); the owner of the
transaction rewrites the queued clients' summaries from their rows just before it commits
(``db.commit``'s pre-commit steps), so a transaction that records three screenings rewrites
the summary once. Until then the summary is stale for that transaction, and its reads take
those clients' facts from the rows themselves (``stale``). Rows written around the use cases
(bulk SQL) are not seen: a client without a summary is read from its rows, and
``needleplan migrate`` summarises every such client (``summarise_missing``).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from needleplan.db import queue_for_commit, queued
from needleplan.screening import repository

BATCH = 500


def _rewrite(db: Session, client_ids: list[Any]) -> None:
    repository.write_summaries(db, client_ids)


def follow(db: Session, client_id: str) -> None:
    """The client's screenings, retractions or overrides changed in ``db``'s transaction. The
    rewrite runs before the transaction's other pre-commit steps, which may read eligibility
    (a session's event rendered at commit) and would otherwise see the old summary."""
    queue_for_commit(db, _rewrite, [client_id], first=True)


def stale(db: Session) -> set[str]:
    """The clients whose summaries ``db``'s transaction has yet to rewrite."""
    return set(queued(db, _rewrite))


def rebuild_all(db: Session) -> int:
    """Rewrite every client's summary from its rows, ``BATCH`` clients at a time; how many.
    ``needleplan rebuild-eligibility-summaries`` runs it after rows were written around the use
    cases (bulk SQL, an older version still writing after an upgrade)."""
    count, after = 0, None
    while True:
        ids = repository.client_ids_after(db, after, BATCH)
        if not ids:
            return count
        repository.write_summaries(db, ids)
        count += len(ids)
        after = ids[-1]


def summarise_missing(db: Session) -> int:
    """Write the summary of every client that has none; how many. ``migrate`` runs it, so an
    upgraded database (or one with clients written around the ORM) reads one row per client."""
    count = 0
    while True:
        ids = repository.clients_without_summary(db, BATCH)
        if not ids:
            return count
        repository.write_summaries(db, ids)
        count += len(ids)
