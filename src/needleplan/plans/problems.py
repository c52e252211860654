from __future__ import annotations

from needleplan.kit.statuses import PlanStatus
from needleplan.problems import Problem


def a_plan(status: str) -> str:
    """``A draft plan``, ``An active plan`` ...: a plan in ``status``, to open a sentence."""
    return f"{'An' if status[:1] in ('a', 'e', 'i', 'o', 'u') else 'A'} {status} plan"


def not_active_detail(status: PlanStatus) -> str:
    if status is PlanStatus.draft:
        return (
            "The plan is a draft and takes no bookings until it is started (PATCH status: active)."
        )
    return f"The plan is {status} and takes no bookings."


def full_detail(sessions_planned: int) -> str:
    if sessions_planned == 1:
        return "The plan's only session is already booked."
    return f"All {sessions_planned} sessions of the plan are already booked."


class PlanNotActive(Problem):
    status, slug, title = 409, "plan-not-active", "Plan not active"
    explanation = "The treatment plan is a draft, cancelled or completed, and takes no bookings. A draft starts with PATCH status: active."


class PlanFull(Problem):
    status, slug, title = 409, "plan-full", "Plan fully booked"
    explanation = "The plan already has as many booked, arrived and fulfilled sessions as it plans: a booking for it, or a course proposal with `book: true`, has nothing left to book. (A proposal without `book` answers 200 with no proposals.)"


class IntervalViolation(Problem):
    status, slug, title = 422, "interval-violation", "Outside the follow-up window"
    explanation = "A plan's session must start within its follow-up window (by default 28 to 42 days after the previous session, on the local calendar). `window` gives the dates. A clinician may accept it with `override_reason`."


class CourseNotFeasible(Problem):
    status, slug, title = 409, "course-not-feasible", "No feasible course"
    explanation = "No free slot was found for one of the remaining sessions inside its follow-up window. `session_number` names it."


class PlanTransitionNotAllowed(Problem):
    status, slug, title = 409, "plan-transition-not-allowed", "Plan status change not allowed"
    explanation = "Only a draft plan can be started (status: active); cancel a plan with POST .../cancel; plans complete themselves."
