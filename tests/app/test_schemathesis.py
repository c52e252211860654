"""Property-based contract testing: schemathesis generates valid and invalid requests for every
operation in the OpenAPI document and runs all its default checks on the answers (no 5xx,
documented status codes, content types, headers and response schemas, invalid data refused,
valid data accepted, 405 with a complete ``Allow`` ...).

Each operation is its own test item and talks to the rollback-per-test ``app`` fixture, so what
one operation's run creates is rolled back before the next. The document is read once from an
app that never touches its database. (``schemathesis.pytest.from_fixture`` would load it from the
fixture instead, but schemathesis 4.32's lazy loader reads ``Node._nodeid``, which pytest 9.2
removed, and fails with AttributeError.)
"""

from __future__ import annotations

import os
import typing
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from pydantic_core.core_schema import ErrorType
from schemathesis import Case, CheckContext, Response
from schemathesis.specs.openapi.checks import positive_data_acceptance

from needleplan.config import Settings
from needleplan.main import create_app
from tests.conftest import Headers

MAX_EXAMPLES = int(os.environ.get("NEEDLEPLAN_SCHEMATHESIS_EXAMPLES", "40"))

# pydantic's own error types say the request did not have the shape the model declares, which a
# schema-valid request always has. value_error and assertion_error come from the models' own
# validators: semantic rules (an IANA zone, a date of birth after 1900, ends after starts).
STRUCTURAL_ERROR_CODES = frozenset(typing.get_args(ErrorType)) - {"value_error", "assertion_error"}


def _problem(response: Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _refusal_mandated_by_spec(response: Response, case: Case[Any]) -> bool:
    """Answers to schema-valid requests that docs/api.md requires and no JSON Schema can rule out."""
    problem = _problem(response)
    kind = problem.get("type")
    headers = {name.lower() for name in (case.headers or {})}
    if response.status_code == 400 and kind == "/problems/malformed-request":
        # An opaque cursor the API did not produce: 400 (docs/api.md#lists-and-pagination);
        # the change feed names its cursor `after`.
        return bool({"cursor", "after"} & set(case.query or {}))
    if response.status_code == 422 and kind == "/problems/validation-error":
        # Semantically invalid data is a 422 naming the fields (docs/api.md#errors): an unknown
        # id in a body, a time zone that is not IANA ... A structural pydantic error would
        # instead mean the document and the model disagree, and still fails.
        codes = {error.get("code") for error in problem.get("errors") or [{}]}
        return not codes & STRUCTURAL_ERROR_CODES and None not in codes
    if response.status_code == 422:
        # Domain refusals of a well-formed request (not-eligible, interval-violation ...).
        return isinstance(kind, str) and kind.startswith("/problems/")
    if response.status_code == 400 and case.path.startswith("/fhir/"):
        # The FHIR facade refuses a search it cannot run with 400 and an OperationOutcome, as
        # FHIR's search specification has it: values no schema rules out (an impossible date, a
        # cursor it did not produce, an unknown area or clinic, a Slot search without bounds).
        issues = problem.get("issue") or [{}]
        return problem.get("resourceType") == "OperationOutcome" and issues[0].get("code") == (
            "invalid"
        )
    if response.status_code == 428 and kind == "/problems/precondition-required":
        # PATCH requires If-Match, but a missing one is 428, not a schema violation
        # (docs/api.md#updates-and-etags).
        return "if-match" not in headers
    if response.status_code == 412 and kind == "/problems/precondition-failed":
        # A generated If-Match is not the resource's current ETag.
        return "if-match" in headers
    return False


def positive_data_acceptance_per_spec(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """schemathesis's ``positive_data_acceptance`` (schema-valid data is accepted), except for the
    refusals docs/api.md mandates for values a schema cannot describe; see above."""
    if _refusal_mandated_by_spec(response, case):
        return None
    return positive_data_acceptance(ctx, response, case)


schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite://"))
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    # CI gates on a fixed set of examples, so a red run always reproduces; set
    # NEEDLEPLAN_SCHEMATHESIS_RANDOM=1 to explore new inputs locally.
    derandomize=not os.environ.get("NEEDLEPLAN_SCHEMATHESIS_RANDOM"),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_honours_its_contract(
    case: Case[Any], app: FastAPI, admin: Headers
) -> None:
    # A case generated without (or with a broken) Authorization tests the 401; any other gets an
    # admin key, which may do everything. ``app`` overrides the schema's app for this call and for
    # the checks that send more requests.
    negated_auth = case.operation.schema.is_security_param_negated(case)
    case.call_and_validate(
        headers=None if negated_auth else admin,
        app=app,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_acceptance_per_spec],
    )
