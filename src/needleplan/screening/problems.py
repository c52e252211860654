"""The problem a booking or a plan answers with when the client may not be treated."""

from __future__ import annotations

from needleplan.problems import Problem


class NotEligible(Problem):
    status, slug, title = 422, "not-eligible", "Client not eligible"
    explanation = "The client may not be treated on the session's date: a contraindication, no screening on file, or under the minimum age, with no clinician's override. `reasons` lists why (not shown to integration keys)."
