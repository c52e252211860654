"""needleplan with its outbox switched off: the baseline of the outbox's cost (bench only).

The same app as ``needleplan.asgi:app`` except that the outbox's pre-commit step
(``needleplan.events.outbox._write``, which ``emit`` queues and ``db.commit`` runs) writes
nothing: a booking commits without rendering or inserting its events and their webhook
deliveries. Everything else (middleware, audit trail, booking checks) runs as served.

    .venv/bin/python bench/app_without_events.py serve --port 8001 [needleplan serve options]

runs ``needleplan serve`` (same uvicorn options, logging, metrics directory and in-process
webhook worker) with this module as the ASGI app; ``servers.py`` starts it as
``app-no-events`` for the ``booking-no-events`` scenario. Product code is untouched.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlmodel import Session

from needleplan.events import outbox

APP = "app_without_events:app"


def _write_nothing(db: Session, items: list[Any]) -> None:
    """The outbox's step, minus the events: nothing is rendered, inserted or fanned out."""


def without_events() -> None:
    # emit() looks the step up by this name each time it queues one.
    outbox._write = _write_nothing  # type: ignore[assignment]  # deliberate, bench only


def serve(argv: list[str]) -> None:
    """``needleplan serve`` with ``APP`` instead of ``needleplan.asgi:app``."""
    from needleplan.cli import app as cli
    from needleplan.kit import serving

    run = serving.serve

    def run_without_events(target: str, **options: Any) -> None:
        run(APP if target == "needleplan.asgi:app" else target, **options)

    serving.serve = run_without_events  # deliberate, bench only
    cli(argv, prog_name="needleplan")


if __name__ == "__main__":
    serve(sys.argv[1:])
else:  # imported by uvicorn (in each worker) as app_without_events:app
    without_events()
    from needleplan.asgi import app  # noqa: F401  # the served app, built as it is built there
