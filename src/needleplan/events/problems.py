"""The problem a feed cursor answers with once the events after it may have been pruned."""

from __future__ import annotations

from needleplan.problems import Problem


class CursorExpired(Problem):
    status, slug, title = 410, "cursor-expired", "Cursor expired"
    explanation = "The cursor is older than the event retention (`NEEDLEPLAN_EVENT_RETENTION_DAYS`, 30 days by default): events after it may have been pruned. Read the feed again without `after` and reconcile from the resources themselves."
