"""Sessions as reads answer them (one session, a page, a day), rendered to JSON once per content.

A session's JSON is a function of the row a read selects (sessions/repository.py ``_readable``:
every column of the session, its location's time zone, the client's birth date and eligibility
facts, and the condition catalogue's version), of the deployment's screening rules and of
whether the caller is shown notes and cautions. So it is kept by exactly those values, with the
database they come from: reading the same session again (front-desk software polls its day and
its lists) skips the eligibility rule, building the document and serialising it. The key holds
the values themselves, so a kept document is never stale, in any process: a change to the
session, to its location's zone, to the client's screening facts or to the catalogue reads as
other values, and so as another key. Nothing is invalidated and nothing is read to check.

Reads select the session's values as stored (``repository._as_stored``: the driver's values,
unconverted) and are kept by those; only a row that must be rendered is converted
(``repository.typed_read``).

A row whose verdict depends on more than its columns is rendered and not kept: a client without
a summary row yet, or whose facts or the catalogue this transaction changed
(``screening.service.verdicts_fixed_by_rows``).

At most ``KEPT_BYTES`` of documents and the text of their keys are kept per process, the least
recently read dropped first (a typical session takes about 2 kB with its key; long notes and
screening histories take more, which is why the bound counts bytes, not sessions).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from pydantic_core import to_json
from sqlalchemy import Row
from sqlmodel import Session

from needleplan.auth.roles import Role
from needleplan.config import Settings
from needleplan.kit.localtime import local_date
from needleplan.kit.versioned_cache import database_of
from needleplan.screening.eligibility import Verdict
from needleplan.screening.service import rules_from, verdicts_fixed_by_rows, verdicts_of_rows
from needleplan.sessions import repository
from needleplan.sessions.views import session_document

KEPT_BYTES = 24 * 1024 * 1024

# Each kept document with its size (the document's bytes and the key's text), and their total.
_rendered: OrderedDict[tuple[Any, ...], tuple[bytes, int]] = OrderedDict()
_kept_bytes = 0
_lock = threading.Lock()  # the webhook and notice threads of a process render events too


def read_verdicts(db: Session, settings: Settings, rows: Sequence[Any]) -> dict[str, Verdict]:
    """The client's eligibility on each read row's local date, from the summaries the rows
    carry (no further statement, unless a client has no summary)."""
    # By each row's mapping: a page asks for 50, and attribute access costs several times more.
    asked = [
        (row, columns["id"], columns["client_id"], local_date(columns["starts_at"], zone))
        for row, columns, zone in ((r, r._mapping, ZoneInfo(r._mapping["time_zone"])) for r in rows)
    ]
    found = verdicts_of_rows(db, settings, [(row, on) for row, _, _, on in asked])
    return {
        session_id: found[(client_id, on)]
        for _, session_id, client_id, on in asked
        if (client_id, on) in found
    }


def session_json(
    db: Session, settings: Settings, rows: Sequence[Row[Any]], role: Role
) -> list[bytes]:
    """Each stored read row (``repository._as_stored``) as ``SessionRead`` JSON for ``role``,
    in order: kept ones as kept, the others rendered (their verdicts in one go) and kept when
    their columns fix their verdict."""
    if not rows:
        return []
    scope = (database_of(db), rules_from(settings), role is Role.integration)
    keys = [
        (scope, tuple(row)) if fixed else None
        for row, fixed in zip(rows, verdicts_fixed_by_rows(db, rows), strict=True)
    ]
    with _lock:
        found = [_kept(key) if key is not None else None for key in keys]
    missing = [
        repository.typed_read(db, row)
        for row, fragment in zip(rows, found, strict=True)
        if fragment is None
    ]
    if not missing:
        return found  # type: ignore[return-value]  # none is None
    verdicts = read_verdicts(db, settings, missing)
    rendered = iter(
        to_json(session_document(row, ZoneInfo(row.time_zone), verdicts.get(row.id), role))
        for row in missing
    )
    fragments = [fragment if fragment is not None else next(rendered) for fragment in found]
    with _lock:
        for key, fragment, was_kept in zip(keys, fragments, found, strict=True):
            if key is not None and was_kept is None:
                _keep(key, fragment)
    return fragments


def _kept(key: tuple[Any, ...]) -> bytes | None:
    kept = _rendered.get(key)
    if kept is None:
        return None
    _rendered.move_to_end(key)
    return kept[0]


def _keep(key: tuple[Any, ...], fragment: bytes) -> None:
    global _kept_bytes
    if key in _rendered:  # another request kept it meanwhile
        return
    # Python's own overheads come on top: counted by text, the bound is a fair estimate.
    size = len(fragment) + sum(len(value) for value in key[1] if isinstance(value, str))
    _rendered[key] = (fragment, size)
    _kept_bytes += size
    while _kept_bytes > KEPT_BYTES and _rendered:
        _, (_, dropped) = _rendered.popitem(last=False)
        _kept_bytes -= dropped


def forget_all() -> None:
    """Drop every kept document (tests)."""
    global _kept_bytes
    with _lock:
        _rendered.clear()
        _kept_bytes = 0
