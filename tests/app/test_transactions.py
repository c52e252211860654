"""Who commits: every /v1 route runs in the request's transaction, and the transaction's owner,
not a listener, writes the busy-day summary just before it commits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session
from starlette.routing import BaseRoute

import needleplan
import needleplan.main
from needleplan.config import Settings
from needleplan.db import commit, queue_for_commit, queued, rollback
from needleplan.kit.transaction import (
    TransactionalRoute,
    require_transactional,
    served_routes,
    v1_router,
)
from needleplan.main import create_app
from needleplan.scheduling.minutes import MinuteLine
from needleplan.sessions import busy_days, repository
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic


def _served(app: FastAPI) -> dict[str, list[BaseRoute]]:
    """Full path -> the routes whose handlers serve it (FastAPI 0.13x+ nests included routers)."""
    served: dict[str, list[BaseRoute]] = {}
    if hasattr(fastapi.routing, "iter_route_contexts"):
        for context in fastapi.routing.iter_route_contexts(app.routes):
            served.setdefault(context.path or "", []).append(context.original_route)
    else:
        for route in app.routes:
            served.setdefault(getattr(route, "path", ""), []).append(route)
    return served


def test_every_v1_route_runs_in_the_request_transaction(app: FastAPI) -> None:
    served = _served(app)
    v1 = [route for path, routes in served.items() if path.startswith("/v1/") for route in routes]
    assert len(v1) > 40
    assert [route for route in v1 if not isinstance(route, TransactionalRoute)] == []
    assert all(path.startswith("/v1/") for path, _ in served_routes(app) if "/v1" in path)
    # The probes stay outside: /readyz answers 503 by itself while the database is down.
    assert not any(isinstance(route, TransactionalRoute) for route in served["/readyz"])


def test_an_app_with_a_v1_route_outside_the_transaction_refuses_to_start(
    settings: Settings, database: RollbackDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    stray = APIRouter()

    @stray.get("/stray")
    async def forgotten() -> dict[str, str]:
        return {}

    monkeypatch.setattr(needleplan.main, "V1_ROUTERS", (*needleplan.main.V1_ROUTERS, stray))
    with pytest.raises(RuntimeError, match=r"outside the request transaction: /v1/stray$"):
        create_app(settings, database)


def test_require_transactional_looks_only_under_the_prefix() -> None:
    app = FastAPI()
    app.include_router(v1_router(prefix="/v1/things"), include_in_schema=False)
    plain = APIRouter()
    plain.add_api_route("/v1x", lambda: None)
    plain.add_api_route("/other", lambda: None)
    app.include_router(plain)
    require_transactional(app)  # /v1x is not under /v1
    app.add_api_route("/v1", lambda: None)
    with pytest.raises(RuntimeError, match=r": /v1$"):
        require_transactional(app)


def test_a_v1_router_makes_only_transactional_routes() -> None:
    router = v1_router(prefix="/things")

    @router.get("")
    async def things() -> list[str]:
        return []

    assert all(isinstance(route, TransactionalRoute) for route in router.routes)
    with pytest.raises(ValueError, match="TransactionalRoute"):
        v1_router(route_class=APIRoute)


def test_the_steps_run_at_commit_once_in_order_and_a_rollback_drops_them(
    database: RollbackDatabase,
) -> None:
    ran: list[tuple[str, list[Any]]] = []

    def first(db: Session, items: list[Any]) -> None:
        ran.append(("first", items))

    def second(db: Session, items: list[Any]) -> None:
        ran.append(("second", items))

    with database.transaction() as db:
        queue_for_commit(db, first, [1])
        queue_for_commit(db, second, [])
        queue_for_commit(db, first, [2, 3])
        assert queued(db, first) == [1, 2, 3]
        assert ran == []
    assert ran == [("first", [1, 2, 3])]  # a step with nothing queued does not run

    # A step queued ``first`` (eligibility summaries, which a session's event reads) runs
    # before the steps queued before it.
    ran.clear()
    with database.transaction() as db:
        queue_for_commit(db, first, [1])
        queue_for_commit(db, second, [2], first=True)
        queue_for_commit(db, first, [3])
    assert ran == [("second", [2]), ("first", [1, 3])]

    def fail_after_queueing() -> None:
        with database.transaction() as db:
            queue_for_commit(db, first, [1])
            raise LookupError

    ran.clear()
    with pytest.raises(LookupError):
        fail_after_queueing()
    assert ran == []

    with database.session(write=True) as db:
        queue_for_commit(db, second, [4])
        rollback(db)
        assert queued(db, second) == []
        commit(db)
    assert ran == []


def _booked_session(client: TestClient, admin: Headers, clinician: Headers) -> dict[str, Any]:
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician)
    response = client.post(
        "/v1/sessions", json=booking(clinic, person, local(future_day(), "10:00")), headers=admin
    )
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def _line(session: dict[str, Any]) -> MinuteLine:
    day = datetime.fromisoformat(session["starts_at"]).astimezone(UTC).date()
    return MinuteLine.of_days(day, day)


def _stored_minutes(db: Session, resource_id: str) -> list[str]:
    rows = db.execute(
        text("SELECT minutes FROM busy_days WHERE resource_id = :id"), {"id": resource_id}
    )
    return [row[0] for row in rows]


def test_block_changes_reach_the_summary_at_commit_and_a_read_before_it_is_refused(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    session = _booked_session(client, admin, clinician)
    room_id, line = session["room_id"], _line(session)
    with database.transaction() as db:
        assert busy_days.busy_minutes(db, line, [room_id])[room_id] != 0

    # Read after changing blocks: refused, never stale; the rollback leaves everything as it was.
    def read_after_changing_blocks() -> None:
        with database.transaction() as db:
            repository.delete_blocks(db, session_id=session["id"])
            busy_days.busy_minutes(db, line, [room_id])

    with pytest.raises(AssertionError, match="unwritten session-block changes"):
        read_after_changing_blocks()
    with database.transaction() as db:
        assert busy_days.busy_minutes(db, line, [room_id])[room_id] != 0

    # The freed minutes are written by the commit, not before.
    with database.transaction() as db:
        repository.delete_blocks(db, session_id=session["id"])
        assert busy_days.has_pending(db)
        assert "1" in _stored_minutes(db, room_id)[0]
    with database.transaction() as db:
        assert busy_days.busy_minutes(db, line, [room_id]).get(room_id, 0) == 0
        assert "1" not in "".join(_stored_minutes(db, room_id))


SESSION_LISTENER = re.compile(
    r"listens_for\(\s*(Session|SQLModelSession|orm\.Session)"
    r"|event\.listen\(\s*(Session|SQLModelSession)"
)


def test_no_listener_on_the_session_class_writes_behind_the_transaction_owner() -> None:
    source = Path(needleplan.__file__).parent
    found = [
        str(path.relative_to(source))
        for path in sorted(source.rglob("*.py"))
        if SESSION_LISTENER.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
