"""The numbing rule (docs/domain.md#comfort): whether a booking, hold, quote or search numbs
when its request leaves ``numbing`` out. Pure: no database, no web framework."""

from __future__ import annotations

from dataclasses import dataclass

from needleplan.kit.statuses import NumbingPreference, NumbingSource


@dataclass(frozen=True)
class NumbingChoice:
    numbing: bool
    source: NumbingSource


def choose_numbing(
    asked: bool | None,
    *,
    preference: NumbingPreference,
    plan_numbing: bool | None = None,
) -> NumbingChoice | None:
    """The request's ``numbing`` when it says; else the plan's (a plan's booking); else the
    client's standing preference. ``None`` when nothing decides: the client's preference is
    ``ask`` and the request did not say, so the caller must ask the request to (a 422 naming
    ``numbing``), never guess: numbing cream adds half an hour, leaving it out hurts."""
    if asked is not None:
        return NumbingChoice(asked, NumbingSource.request)
    if plan_numbing is not None:
        return NumbingChoice(plan_numbing, NumbingSource.plan)
    if preference is NumbingPreference.always:
        return NumbingChoice(True, NumbingSource.client_preference)
    if preference is NumbingPreference.never:
        return NumbingChoice(False, NumbingSource.client_preference)
    return None
