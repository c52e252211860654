"""Request bodies keep their JSON types (kit/models.py): the declared types refuse what pydantic's
lax mode would coerce, text never holds NUL, and max_length counts the text as sent."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from needleplan.clients.schemas import ClientCreate
from needleplan.plans.schemas import PlanUpdate
from needleplan.providers.schemas import WorkingInterval
from needleplan.rooms.schemas import RoomUpdate
from needleplan.screening.schemas import ScreeningCreate
from needleplan.sessions.schemas import CancelRequest
from needleplan.treatment_areas.schemas import TreatmentAreaUpdate


def _errors(model: type[BaseModel], body: dict[str, Any]) -> set[str]:
    try:
        model.model_validate(body)
    except ValidationError as error:
        return {e["type"] for e in error.errors()}
    return set()


@pytest.mark.parametrize(
    ("model", "body", "code"),
    [
        (RoomUpdate, {"active": 0}, "bool_type"),
        (RoomUpdate, {"active": "true"}, "bool_type"),
        (PlanUpdate, {"numbing": 1}, "bool_type"),
        (PlanUpdate, {"min_interval_days": "30"}, "int_type"),
        (PlanUpdate, {"sessions_planned": True}, "int_type"),
        (TreatmentAreaUpdate, {"min_minutes": "30"}, "int_type"),
        (ScreeningCreate, {"screened_on": 0}, "date_type"),
        (ScreeningCreate, {"screened_on": "1700000000"}, "date_type"),
        (
            WorkingInterval,
            {"location_id": "x", "weekday": "monday", "start_time": 3600, "end_time": "17:00"},
            "datetime_type",
        ),
        (CancelRequest, {"reason": "flu\x00"}, "string_pattern_mismatch"),
        (PlanUpdate, {"notes": "a\x00b"}, "string_pattern_mismatch"),
        # 2001 characters as sent, 1999 once stripped: still too long.
        (CancelRequest, {"reason": " " + "x" * 1999 + " "}, "string_too_long"),
        (ClientCreate, {"first_name": " " + "x" * 100}, "string_too_long"),
        # Lengths below the maximum count the stripped text.
        (CancelRequest, {"reason": "\u00a0"}, "string_too_short"),
    ],
)
def test_refused(model: type[BaseModel], body: dict[str, Any], code: str) -> None:
    assert code in _errors(model, body)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (RoomUpdate, {"active": False}),
        (PlanUpdate, {"min_interval_days": 30}),
        (PlanUpdate, {"min_interval_days": 30.0}),  # an integral number is a JSON integer
        (ScreeningCreate, {"screened_on": "2020-01-01"}),
        (CancelRequest, {"reason": " " + "x" * 1998 + " "}),
    ],
)
def test_accepted(model: type[BaseModel], body: dict[str, Any]) -> None:
    assert _errors(model, body) == set()
