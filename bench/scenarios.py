"""Scenarios: the request shapes ``run.py`` measures, and measuring them in order.

A :class:`Scenario` names a request factory, an optional setup (seeding through the API, say
with :func:`post_many`; :func:`shared_setup` lets several scenarios share one data set), the
server it targets and the baseline its rate is compared with. :func:`run_scenarios` sets up and
measures each one with a load generator (``loaders.py``) and returns :class:`ScenarioResult`
values for the report (``report.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from loaders import LoaderName, LoadResult, Request, run_load
from report import progress_line
from servers import Server

TargetName = Literal["app", "reference", "app-no-events"]

SetupFn = Callable[[str, Mapping[str, str]], Any]


@dataclass
class Scenario:
    """One measured request shape.

    ``setup(base_url, headers)`` runs once before the measurement against the scenario's server
    and returns a state (ids to request, say); ``request(state, i)`` makes the i-th request.
    ``distinct`` says how many different requests ``request`` makes before repeating (``None``:
    each one is new, as bookings must be). ``baseline`` names the scenario this one's rate is
    compared with; ``min_ratio``, ``max_p50_ms`` and ``max_p99_ms`` are targets, printed as met
    or missed, never asserted. ``connections`` overrides the run's connection count (a latency
    scenario may want 1).
    """

    name: str
    request: Callable[[Any, int], Request]
    setup: SetupFn | None = None
    target: TargetName = "app"
    baseline: str | None = None
    distinct: int | None = 1
    connections: int | None = None
    min_ratio: float | None = None
    max_p50_ms: float | None = None
    max_p99_ms: float | None = None
    description: str = ""


def shared_setup(function: SetupFn) -> SetupFn:
    """Memoise a setup per server, so several scenarios can share one seeded data set."""
    cache: dict[str, Any] = {}

    def wrapper(base_url: str, headers: Mapping[str, str]) -> Any:
        if base_url not in cache:
            cache[base_url] = function(base_url, headers)
        return cache[base_url]

    wrapper.__name__ = getattr(function, "__name__", "setup")
    return wrapper


def post_many(
    base_url: str,
    headers: Mapping[str, str],
    path: str,
    bodies: Sequence[Any],
    *,
    concurrency: int = 16,
) -> list[dict[str, Any]]:
    """POST every body (concurrently, in order of results) and return the JSON answers.

    Any status other than 2xx is an error: seeding must not silently fail.
    """

    async def main() -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = [{} for _ in bodies]
        queue = iter(enumerate(bodies))
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=base_url, headers=dict(headers), limits=limits, timeout=30
        ) as client:

            async def worker() -> None:
                for index, body in queue:
                    response = await client.post(path, json=body)
                    if not response.is_success:
                        raise RuntimeError(
                            f"POST {path} answered {response.status_code}: {response.text}"
                        )
                    results[index] = response.json()

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results

    result: list[dict[str, Any]] = asyncio.run(main())
    return result


@dataclass
class ScenarioResult:
    scenario: Scenario
    load: LoadResult
    baseline_rps: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline_rps:
            return self.load.rps / self.baseline_rps
        return None

    def targets(self) -> list[tuple[str, bool]]:
        """(description, met) for every target the scenario declares."""
        s, checks = self.scenario, []
        if s.min_ratio is not None and self.ratio is not None:
            checks.append((f"rate >= {s.min_ratio:.0%} of {s.baseline}", self.ratio >= s.min_ratio))
        if s.max_p50_ms is not None:
            checks.append((f"p50 <= {s.max_p50_ms:g} ms", self.load.percentile(50) <= s.max_p50_ms))
        if s.max_p99_ms is not None:
            checks.append((f"p99 <= {s.max_p99_ms:g} ms", self.load.percentile(99) <= s.max_p99_ms))
        return checks


def run_scenarios(
    scenarios: Sequence[Scenario],
    servers: Mapping[str, Server],
    *,
    connections: int,
    seconds: float,
    warmup: float,
    loader: LoaderName,
    log: Callable[[str], None] = print,
) -> list[ScenarioResult]:
    """Set up and measure each scenario in order; baselines must come before their users."""
    earlier: set[str] = set()
    for scenario in scenarios:
        if scenario.baseline is not None and scenario.baseline not in earlier:
            raise ValueError(f"{scenario.name}: its baseline {scenario.baseline!r} must run first")
        earlier.add(scenario.name)
    results: dict[str, ScenarioResult] = {}
    for scenario in scenarios:
        server = servers[scenario.target]
        state = scenario.setup(server.base_url, server.headers) if scenario.setup else None
        request = scenario.request

        def factory(index: int, state: Any = state, request: Any = request) -> Request:
            made: Request = request(state, index)
            return made

        load = run_load(
            server.base_url,
            factory,
            headers=server.headers,
            connections=scenario.connections or connections,
            seconds=seconds,
            warmup=warmup,
            loader=loader,
            distinct=scenario.distinct,
        )
        baseline = results.get(scenario.baseline) if scenario.baseline else None
        result = ScenarioResult(scenario, load, baseline.load.rps if baseline else None)
        results[scenario.name] = result
        log(progress_line(scenario.name, load))
    return list(results.values())
