"""What the booking engine asks of a treatment plan, typed here so that sessions never import
plans (docs/architecture.md#layers).

``needleplan.plans.course`` implements it. The plan service passes that module in when it books;
the sessions endpoints receive it from the app (``create_app`` puts it in ``app.state``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlmodel import Session

from needleplan.models import TreatmentPlan


class PlanCourse(Protocol):
    """A plan's course: its booking rules, and what follows a change to its sessions.

    The caller locks the plan first (after the session, before any busy block)."""

    def check_plan_booking(
        self,
        db: Session,
        plan: TreatmentPlan,
        starts_at: datetime,
        *,
        override_reason: str | None,
        moving_session_id: str | None = None,
    ) -> None:
        """Plan state and follow-up window, after eligibility and before the slot grid."""

    def reflag(self, db: Session, plan: TreatmentPlan) -> None:
        """Re-evaluate the windows of the plan's sessions after one of them changed."""

    def complete_if_done(self, db: Session, plan: TreatmentPlan) -> None:
        """Complete the plan once its last planned session is fulfilled."""


async def _plan_course(request: Request) -> PlanCourse:
    course: PlanCourse = request.app.state.plan_course
    return course


PlanCourseDep = Annotated[PlanCourse, Depends(_plan_course)]
