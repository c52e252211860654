"""Benchmark needleplan against the bare reference app, in one run on one fresh database.

    .venv/bin/python bench/run.py [--db sqlite|postgres] [--workers 1] [--seconds 5]
                                  [--connections 16] [--warmup 1]
                                  [--loader auto|raw|streams|wrk]
                                  [--only NAMES] [--json FILE]

Adding a benchmark is adding a :class:`scenarios.Scenario` to :func:`scenarios`: a name, an
optional setup (given the server's base URL and auth headers, returns a state), a request
factory ``(state, i) -> Request``, and the baseline it is compared against.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from databases import DEFAULT_PG_ADMIN_URL, BenchDatabase
from loaders import Request, wrk_available
from report import command_line, print_report, results_json
from scenarios import Scenario, post_many, run_scenarios, shared_setup
from servers import servers_for

SEEDED_CLIENTS = 1000
SEARCH_QUERY = "lind"

FIRST_NAMES = (
    "Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Leon Mia Noah Olga Paul Quinn "
    "Rosa Sven Tara Ugo Vera Wim Xenia Yara Zeno Alma Bruno Cora Dario Elin Finn Gina Hans Iris "
    "Jan Kira Lukas Maren Nils"
).split()
LAST_NAMES = (
    "Abel Bauer Claes Dahl Eklund Fischer Graf Hahn Iversen Jung Keller Lorenz Lindqvist Meyer "
    "Nagel Ott Petersen Quast Richter Sauer Thal Ulrich Vogt Wagner Xander Young Zimmer Arndt "
    "Brandt Crone Dorn Ebert Frey Gerber Huber Imhof Jansen Kunz Marx Roth"
).split()


@shared_setup
def seed_clients(base_url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """~1,000 clients through the API; ``q=lind`` then finds one client in 40."""
    bodies = [
        {
            "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
            "last_name": LAST_NAMES[(i // len(FIRST_NAMES) + i) % len(LAST_NAMES)],
            "date_of_birth": f"{1960 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "email": f"client{i}@example.org",
            "phone": f"+49 30 {1000000 + i}",
        }
        for i in range(SEEDED_CLIENTS)
    ]
    started = time.perf_counter()
    created = post_many(base_url, headers, "/v1/clients", bodies)
    elapsed = time.perf_counter() - started
    probe = httpx.get(
        f"{base_url}/v1/clients", params={"q": SEARCH_QUERY}, headers=dict(headers), timeout=30
    )
    probe.raise_for_status()
    hits = len(probe.json()["items"])
    print(
        f"  seeded {len(created)} clients in {elapsed:.1f} s "
        f"({len(created) / elapsed:,.0f}/s through POST /v1/clients); q={SEARCH_QUERY} finds {hits}"
    )
    return {"ids": [c["id"] for c in created], "search_hits": hits}


BOOKING_PROVIDERS = 40
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@shared_setup
def clinic(base_url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """A location, 40 providers working around the clock, a room and a screened client each."""
    auth = dict(headers)
    with httpx.Client(base_url=base_url, headers=auth, timeout=60) as http:
        location = http.post(
            "/v1/locations", json={"name": "Bench", "time_zone": "Europe/Berlin"}
        ).json()["id"]
        providers, rooms, clients = [], [], []
        today = time.strftime("%Y-%m-%d", time.gmtime())
        for i in range(BOOKING_PROVIDERS):
            provider = http.post(
                "/v1/providers", json={"name": f"P{i:02d}", "profession": "nurse"}
            ).json()["id"]
            plan = {
                "intervals": [
                    {
                        "location_id": location,
                        "weekday": d,
                        "start_time": "00:00",
                        "end_time": "23:55",
                    }
                    for d in WEEK
                ]
            }
            http.put(f"/v1/providers/{provider}/working-plan", json=plan).raise_for_status()
            room = http.post(
                "/v1/rooms", json={"location_id": location, "name": f"Room {i:02d}"}
            ).json()["id"]
            person = http.post(
                "/v1/clients",
                json={
                    "first_name": f"B{i}",
                    "last_name": "Bench",
                    "date_of_birth": "1990-01-01",
                    "email": f"b{i}@example.org",
                },
            ).json()["id"]
            http.post(
                f"/v1/clients/{person}/screenings", json={"screened_on": today, "conditions": []}
            ).raise_for_status()
            providers.append(provider)
            rooms.append(room)
            clients.append(person)
    first_day = time.gmtime(time.time() + 3 * 86400)
    return {
        "location": location,
        "providers": providers,
        "rooms": rooms,
        "clients": clients,
        "first_day": time.strftime("%Y-%m-%d", first_day),
    }


SEEDED_ROWS = 200
SEEDED_SESSIONS = 200


@shared_setup
def reference_rows(base_url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """200 rows in the reference app's table, for the GET-one-row ceiling."""
    bodies = [{"name": f"row {i}", "quantity": i} for i in range(SEEDED_ROWS)]
    return {"ids": [row["id"] for row in post_many(base_url, headers, "/insert", bodies)]}


SCHEDULE_PROVIDERS = 4
SESSIONS_PER_DAY = 40


@shared_setup
def full_days(base_url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The clinic of the booking scenario with 40 sessions on one day for each of 4 providers
    (every half hour from midnight), 300 days after its bookings."""
    state = dict(clinic(base_url, headers))
    far = {**state, "first_day": _day_after(state["first_day"], 300)}
    # booking_request gives request p + 40 k to provider p, in the k-th half hour of the day.
    bodies = [
        booking_request(far, provider + BOOKING_PROVIDERS * k).body
        for provider in range(SCHEDULE_PROVIDERS)
        for k in range(SESSIONS_PER_DAY)
    ]
    post_many(base_url, headers, "/v1/sessions", bodies)
    return {**state, "schedule_day": far["first_day"]}


@shared_setup  # session-get and session-list read the same sessions
def booked_sessions(base_url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The clinic of the booking scenario with 200 sessions booked far from its bookings."""
    state = dict(clinic(base_url, headers))
    far = {**state, "first_day": _day_after(state["first_day"], 200)}
    bodies = [booking_request(far, i).body for i in range(SEEDED_SESSIONS)]
    state["sessions"] = [s["id"] for s in post_many(base_url, headers, "/v1/sessions", bodies)]
    return state


def _day_after(day: str, days: int) -> str:
    start = time.mktime(time.strptime(day, "%Y-%m-%d"))
    return time.strftime("%Y-%m-%d", time.gmtime(start + days * 86400))


def booking_request(state: dict[str, Any], i: int) -> Request:
    """The i-th booking: provider, room and client i mod 40, every 30 minutes, never colliding."""
    lane = i % BOOKING_PROVIDERS
    slot = i // BOOKING_PROVIDERS
    day, half_hour = divmod(slot, 47)  # 00:00 to 23:00 local, every 30 minutes
    start = time.strftime(
        "%Y-%m-%d",
        time.gmtime(time.mktime(time.strptime(state["first_day"], "%Y-%m-%d")) + day * 86400),
    )
    starts_at = f"{start}T{half_hour // 2:02d}:{30 * (half_hour % 2):02d}:00+00:00"
    return Request(
        "POST",
        "/v1/sessions",
        {
            "client_id": state["clients"][lane],
            "provider_id": state["providers"][lane],
            "room_id": state["rooms"][lane],
            "location_id": state["location"],
            "areas": ["lips"],
            "intensity": "light",
            # Said explicitly: a client whose numbing preference is "ask" must be told.
            "numbing": False,
            "starts_at": starts_at,
        },
    )


def scenarios() -> list[Scenario]:
    """What one run measures, baselines first."""
    quote = {"areas": ["full_face", "neck"], "intensity": "standard", "numbing": True}
    return [
        Scenario(
            name="echo",
            target="reference",
            request=lambda _, i: Request(
                "POST", "/echo", {"name": "needle", "quantity": 3, "tags": ["a", "b"]}
            ),
            description="bare async def validated echo (the JSON ceiling of the stack)",
        ),
        Scenario(
            name="insert",
            target="reference",
            request=lambda _, i: Request("POST", "/insert", {"name": "row", "quantity": i}),
            distinct=1000,
            description="bare one-row insert, sync Session in async def",
        ),
        Scenario(
            name="row-get",
            target="reference",
            setup=reference_rows,
            request=lambda state, i: Request("GET", f"/rows/{state['ids'][i % SEEDED_ROWS]}"),
            distinct=SEEDED_ROWS,
            description="bare GET of one row by id, sync Session in async def",
        ),
        Scenario(
            name="duration-quote",
            request=lambda _, i: Request("POST", "/v1/duration-quotes", quote),
            baseline="echo",
            description="POST /v1/duration-quotes full_face + neck, standard, numbing",
        ),
        Scenario(
            name="client-get",
            setup=seed_clients,
            request=lambda state, i: Request(
                "GET", f"/v1/clients/{state['ids'][i % SEEDED_CLIENTS]}"
            ),
            distinct=SEEDED_CLIENTS,
            baseline="echo",
            description="GET /v1/clients/{id}, cycling over the seeded clients",
        ),
        Scenario(
            name="booking",
            setup=clinic,
            request=booking_request,
            distinct=None,
            baseline="insert",
            min_ratio=0.4,
            max_p99_ms=50,
            description="POST /v1/sessions: every rule checked, busy blocks written (201s)",
        ),
        Scenario(
            name="booking-no-events",
            target="app-no-events",
            setup=clinic,
            request=booking_request,
            distinct=None,
            baseline="insert",
            description="the booking scenario on the app without its outbox writes "
            "(app_without_events.py): booking / booking-no-events is the outbox's cost",
        ),
        Scenario(
            name="session-get",
            setup=booked_sessions,
            request=lambda state, i: Request(
                "GET", f"/v1/sessions/{state['sessions'][i % SEEDED_SESSIONS]}"
            ),
            distinct=SEEDED_SESSIONS,
            baseline="row-get",
            min_ratio=0.5,
            max_p99_ms=30,
            description="GET /v1/sessions/{id}, cycling over 200 booked sessions",
        ),
        Scenario(
            name="session-list",
            setup=booked_sessions,
            request=lambda state, i: Request("GET", "/v1/sessions?limit=50"),
            baseline="row-get",
            min_ratio=0.25,
            description="GET /v1/sessions?limit=50 (the first 50 of the sessions booked)",
        ),
        Scenario(
            name="day-schedule",
            setup=full_days,
            request=lambda state, i: Request(
                "GET",
                f"/v1/providers/{state['providers'][i % SCHEDULE_PROVIDERS]}/schedule"
                f"?date={state['schedule_day']}",
            ),
            distinct=SCHEDULE_PROVIDERS,
            baseline="row-get",
            min_ratio=0.25,
            description=f"GET /v1/providers/{{id}}/schedule: a day of {SESSIONS_PER_DAY} sessions",
        ),
        Scenario(
            name="client-search",
            setup=seed_clients,
            request=lambda _, i: Request("GET", f"/v1/clients?q={SEARCH_QUERY}"),
            baseline="echo",
            description=f"GET /v1/clients?q={SEARCH_QUERY} over {SEEDED_CLIENTS} clients",
        ),
    ]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of both servers")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per scenario")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--loader",
        choices=("auto", "raw", "streams", "wrk"),
        default="auto",
        help="load generator: auto (wrk when installed, else raw), raw (asyncio protocol),\n"
        "streams (asyncio streams), wrk",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated scenario names (their baselines are added)"
    )
    parser.add_argument(
        "--app-log-level", default="INFO", help="NEEDLEPLAN_LOG_LEVEL of the app (default INFO)"
    )
    parser.add_argument(
        "--pg-admin-url",
        default=DEFAULT_PG_ADMIN_URL,
        help="where --db postgres creates (and drops) its database\n"
        "(default: $NEEDLEPLAN_BENCH_PG_ADMIN_URL or %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.loader == "auto":
        args.loader = "wrk" if wrk_available() else "raw"
    elif args.loader == "wrk" and not wrk_available():
        parser.error("--loader wrk: wrk is not installed (apt-get install wrk)")
    return args


def selected(all_scenarios: list[Scenario], only: str) -> list[Scenario]:
    if not only:
        return all_scenarios
    names = {name.strip() for name in only.split(",") if name.strip()}
    by_name = {s.name: s for s in all_scenarios}
    unknown = names - by_name.keys()
    if unknown:
        raise SystemExit(
            f"unknown scenarios: {', '.join(sorted(unknown))}; known: {', '.join(by_name)}"
        )
    names |= {by_name[n].baseline for n in names if by_name[n].baseline}  # type: ignore[misc]
    return [s for s in all_scenarios if s.name in names]


def _stop(signum: int, _frame: object) -> None:
    # SIGTERM (and SIGINT where a shell ignores it) unwinds like Ctrl-C: the servers stop and
    # the database is dropped by the context managers.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    args = parse_args(argv[1:])
    chosen = selected(scenarios(), args.only)
    command = command_line(
        [argv[0], "--db", args.db, "--workers", str(args.workers), "--seconds", f"{args.seconds:g}"]
        + ["--connections", str(args.connections), "--warmup", f"{args.warmup:g}"]
        + ["--loader", args.loader]
        + (["--only", args.only] if args.only else [])
        + (["--app-log-level", args.app_log_level] if args.app_log_level != "INFO" else [])
    )
    started = time.perf_counter()
    print(f"needleplan bench: {args.db}, {args.workers} worker(s), loader {args.loader}")
    with BenchDatabase(args.db, pg_admin_url=args.pg_admin_url) as database:
        database.prepare()
        with servers_for(
            database,
            workers=args.workers,
            app_log_level=args.app_log_level,
            without_events=any(s.target == "app-no-events" for s in chosen),
        ) as servers:
            results = run_scenarios(
                chosen,
                servers,
                connections=args.connections,
                seconds=args.seconds,
                warmup=args.warmup,
                loader=args.loader,
            )
    settings = {
        "db": args.db,
        "workers": args.workers,
        "connections": args.connections,
        "seconds": f"{args.seconds:g}",
        "warm-up": f"{args.warmup:g}",
        "loader": args.loader,
        "wall time": f"{time.perf_counter() - started:.0f} s",
    }
    print_report(
        results,
        title=f"needleplan bench ({args.db}, {args.workers} worker(s))",
        command=command,
        settings=settings,
        ratios=[
            ("duration-quote", "echo"),
            ("client-get", "echo"),
            ("client-search", "echo"),
            ("booking", "echo"),
            ("booking", "insert"),
            ("booking", "booking-no-events"),
            ("session-get", "row-get"),
            ("session-list", "row-get"),
            ("day-schedule", "row-get"),
        ],
    )
    if args.json:
        data = results_json(results, command=command, settings=settings)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:
        print("interrupted; servers stopped and the database removed", file=sys.stderr)
        sys.exit(130)
