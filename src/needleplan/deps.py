"""Request dependencies: the per-request transaction, settings and the caller's role.

They are ``async def`` on purpose: a plain ``def`` dependency runs in the threadpool, and the
hop yields the event loop in the middle of the request's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session

from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.config import Settings
from needleplan.problems import Forbidden, Unauthorized


async def _request_session(request: Request) -> Session:
    # TransactionalRoute opened the request's transaction and commits it before the response
    # is sent (kit/transaction.py).
    db: Session = request.state.db
    return db


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbDep = Annotated[Session, Depends(_request_session)]
SettingsDep = Annotated[Settings, Depends(_settings)]


_ROLE_CHECKS: dict[Callable[..., Any], Role] = {}


def required_role(dependency: Callable[..., Any] | None) -> Role | None:
    """The role a dependency made by ``_require`` checks (the OpenAPI descriptions name it)."""
    return _ROLE_CHECKS.get(dependency) if dependency is not None else None


def _require(role: Role) -> Callable[[Request], Coroutine[Any, Any, Caller]]:
    async def dependency(request: Request) -> Caller:
        caller: Caller | None = getattr(request.state, "caller", None)
        if caller is None:  # only when a route is mounted outside the authenticated prefix
            raise Unauthorized("Send Authorization: Bearer <api key>.")
        if not caller.role.may_act_as(role):
            higher = "" if role.rank == len(Role) - 1 else " or higher"
            raise Forbidden(
                f"This operation needs the {role.value} role{higher}; "
                f"this API key's role is {caller.role.value}."
            )
        return caller

    _ROLE_CHECKS[dependency] = role
    return dependency


AnyCaller = Annotated[Caller, Depends(_require(Role.integration))]
FrontDesk = Annotated[Caller, Depends(_require(Role.front_desk))]
Clinician = Annotated[Caller, Depends(_require(Role.clinician))]
Admin = Annotated[Caller, Depends(_require(Role.admin))]
