"""Flat with history (issue 12): do the hot requests stay as fast when the calendar holds ten
years of sessions?

For each size (stored sessions, default 10,000 and 1,000,000) and database, a new database is
migrated and seeded DIRECTLY (bulk driver inserts, not the API) with what booking writes: the
sessions, their busy blocks (client, provider, room) and the busy-day minutes of each resource
and UTC day. Then the API is driven in-process (``TestClient`` on ``create_app``, an admin key)
and the p50 of each request is printed, with the ratio of the largest size to the smallest
(target <= 1.3x).

The calendar the requests look at is the same at every size, so only history differs: 20
providers (each with a room of their own), 8 sessions a day each for the 30 days from tomorrow
(4,800 sessions); the rest of the size is history, spread evenly over the ten years before
tomorrow (up to 18 sessions a provider a day, 06:00-18:00 UTC every 40 minutes). Clients: one
per 20 sessions (at least 500), so a client's history grows with the size too.

    .venv/bin/python bench/growth_bench.py [--db sqlite,postgres] [--sizes 10000,1000000]
                                           [--runs 30]

The databases are new and removed afterwards (``databases.ScratchDatabase``). Seeding a
million sessions writes about 3 million blocks and a million busy-day rows (1.5 kB each):
minutes on SQLite, more on PostgreSQL (GiST exclusion constraint); ``--sizes`` picks others.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from typing import Any

from clinic import seed_clinic
from databases import ScratchDatabase
from fastapi.testclient import TestClient
from sqlalchemy import text

from needleplan.auth.roles import Role
from needleplan.auth.service import create_api_key
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.kit.ids import new_id
from needleplan.main import create_app
from needleplan.migrations import migrate

ZONE = "Europe/Berlin"
PROVIDERS, ROOMS = 20, 24
WINDOW_DAYS, WINDOW_PER_DAY = 30, 8
HISTORY_DAYS = 3652  # ten years
HISTORY_SLOTS = 18  # 06:00-18:00 UTC, every 40 minutes
CADENCE = timedelta(minutes=40)
SESSION = timedelta(minutes=30)  # lips + neck, light: 30 minutes treatment, 10 turnover
TURNOVER = timedelta(minutes=10)
CHUNK = 20_000
WARMUP = 10

SESSION_COLUMNS = (
    "id, client_id, provider_id, room_id, location_id, areas, intensity, numbing, "
    "numbing_minutes, treatment_minutes, turnover_minutes, starts_at, ends_at, status, "
    "needs_reschedule, version, created_at"
)
BLOCK_COLUMNS = "id, resource_kind, resource_id, starts_at, ends_at, session_id"
DAY_COLUMNS = "resource_id, day, minutes"


class Writer:
    """Bulk rows through the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self, database: Database) -> None:
        self.raw = database.engine.raw_connection()
        self.sqlite = database.url.startswith("sqlite")

    def _value(self, value: Any) -> Any:
        if self.sqlite and isinstance(value, datetime):
            # UTCDateTime's stored form on SQLite: naive UTC text with microseconds.
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.sqlite and isinstance(value, date):
            return value.isoformat()
        return value

    def write(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        if self.sqlite:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                [tuple(self._value(v) for v in row) for row in rows],
            )
        else:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.close()

    def begin(self) -> None:
        if self.sqlite:
            self.raw.cursor().execute("BEGIN")

    def commit(self) -> None:
        if self.sqlite:
            self.raw.cursor().execute("COMMIT")
        else:
            self.raw.commit()

    def close(self) -> None:
        self.raw.close()


def _setup(database: Database, clients: int) -> dict[str, Any]:
    """Location, providers with weekly plans, rooms, screened clients (ORM, small)."""
    clinic = seed_clinic(
        database,
        name="Growth",
        zone=ZONE,
        providers=PROVIDERS,
        rooms=ROOMS,
        clients=clients,
        opens=wall(7),
        closes=wall(21),
    )
    location, providers, rooms, people = (
        clinic.location,
        clinic.providers,
        clinic.rooms,
        clinic.clients,
    )
    with database.transaction() as db:
        _, key = create_api_key(db, name="growth bench", role=Role.admin)
    return {
        "location": location.id,
        "providers": [p.id for p in providers],
        "rooms": [r.id for r in rooms],
        "clients": [c.id for c in people],
        "key": key.secret,
    }


def _sessions_of_day(day: date, per_provider: list[int]) -> Iterator[tuple[int, datetime]]:
    """(provider index, start) of a day's sessions: slot-major, so one slot's providers differ."""
    midnight = datetime.combine(day, wall(6), UTC)
    for slot in range(max(per_provider, default=0)):
        for p_index, count in enumerate(per_provider):
            if slot < count:
                yield p_index, midnight + slot * CADENCE


def _plan(size: int, tomorrow: date) -> Iterator[tuple[date, list[int], str]]:
    """(day, sessions per provider, status) for every seeded day, history first."""
    history = max(0, size - PROVIDERS * WINDOW_PER_DAY * WINDOW_DAYS)
    window_per_day = WINDOW_PER_DAY if size >= PROVIDERS * WINDOW_PER_DAY * WINDOW_DAYS else 0
    base, extra = divmod(history, HISTORY_DAYS)
    for n in range(HISTORY_DAYS):
        count = base + (1 if n < extra else 0)
        per_provider = [
            count // PROVIDERS + (1 if i < count % PROVIDERS else 0) for i in range(PROVIDERS)
        ]
        if max(per_provider) > HISTORY_SLOTS:
            raise SystemExit(
                f"{size} sessions do not fit in {HISTORY_SLOTS} slots a provider a day"
            )
        yield tomorrow - timedelta(days=HISTORY_DAYS - n), per_provider, "fulfilled"
    for n in range(WINDOW_DAYS):
        yield tomorrow + timedelta(days=n), [window_per_day] * PROVIDERS, "booked"


def _seed(database: Database, clinic: dict[str, Any], size: int, tomorrow: date) -> int:
    writer = Writer(database)
    now = datetime.now(UTC)
    providers, rooms, clients = clinic["providers"], clinic["rooms"], clinic["clients"]
    sessions: list[tuple[Any, ...]] = []
    blocks: list[tuple[Any, ...]] = []
    days: list[tuple[Any, ...]] = []
    seeded = 0

    def flush() -> None:
        writer.begin()
        writer.write("treatment_sessions", SESSION_COLUMNS, sessions)
        writer.write("busy_blocks", BLOCK_COLUMNS, blocks)
        writer.write("busy_days", DAY_COLUMNS, days)
        writer.commit()
        sessions.clear()
        blocks.clear()
        days.clear()

    for day, per_provider, status in _plan(size, tomorrow):
        minutes: dict[str, bytearray] = defaultdict(lambda: bytearray(b"0" * 1440))
        for p_index, start in _sessions_of_day(day, per_provider):
            session_id = new_id()
            client_id = clients[seeded % len(clients)]
            seeded += 1
            end = start + SESSION
            sessions.append(
                (session_id, client_id, providers[p_index], rooms[p_index], clinic["location"])
                + ('["lips", "neck"]', "light", False, 0, 30, 10, start, end, status, False, 1)
                + (min(now, start),)
            )
            for kind, resource_id, block_end in (
                ("client", client_id, end),
                ("provider", providers[p_index], end),
                ("room", rooms[p_index], end + TURNOVER),
            ):
                blocks.append((new_id(), kind, resource_id, start, block_end, session_id))
                first = start.hour * 60 + start.minute
                last = first + (block_end - start) // timedelta(minutes=1)
                minutes[resource_id][first:last] = b"1" * (last - first)
        days.extend((resource_id, day, mask.decode()) for resource_id, mask in minutes.items())
        if len(sessions) >= CHUNK:
            flush()
    flush()
    writer.close()
    return seeded


OPERATIONS = (
    ("booking", "POST /v1/sessions (lips, light; provider 0, room 0, a seeded client)"),
    ("read a session", "GET /v1/sessions/{id} (the first seeded: ten years old)"),
    ("day schedule", "GET /v1/providers/{id}/schedule?date= (8 sessions)"),
    ("list, 50 rows", "GET /v1/sessions?from=&to=&provider_id=&limit=50 (30 days)"),
    ("availability, 30 days", "GET /v1/availability?areas=full_face&from=&to=&provider_id="),
)

Action = Callable[[int], None]


@contextmanager
def seeded_api(kind: str, size: int, runs: int) -> Iterator[list[Action]]:
    """A new database of ``size`` sessions and the API on it: one action per OPERATION, each
    taking the request's number (negative for warm-up requests)."""
    with ScratchDatabase(kind, filename="growth.db") as scratch:  # type: ignore[arg-type]
        database = Database(scratch.url)
        migrate(database)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        clinic = _setup(database, max(500, size // 20))
        started = time.perf_counter()
        seeded = _seed(database, clinic, size, tomorrow)
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE" if kind == "postgres" else "ANALYZE"))
        print(
            f"  {kind}: {seeded:,} sessions seeded in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        with database.engine.connect() as c:
            ids = [
                row[0]
                for row in c.execute(
                    text(f"SELECT id FROM treatment_sessions ORDER BY id LIMIT {runs + WARMUP}")
                )
            ]
        app = create_app(Settings(database_url=scratch.url), database)
        headers = {"Authorization": f"Bearer {clinic['key']}"}
        provider, room = clinic["providers"][0], clinic["rooms"][0]
        window_from = datetime.combine(tomorrow, wall(0), UTC)
        window = {
            "from": window_from.isoformat(),
            "to": (window_from + timedelta(days=WINDOW_DAYS)).isoformat(),
        }
        with TestClient(app) as client:

            def ok(response: Any) -> None:
                assert response.status_code in (200, 201), response.text

            def book(n: int) -> None:
                # After the seeded calendar: 6 free starts a day (08:00-18:00 UTC, every 2 h).
                n += WARMUP
                day = tomorrow + timedelta(days=WINDOW_DAYS + 1 + n // 6)
                start = datetime.combine(day, wall(8), UTC) + timedelta(hours=2 * (n % 6))
                body = {
                    "client_id": clinic["clients"][n % len(clinic["clients"])],
                    "provider_id": provider,
                    "room_id": room,
                    "location_id": clinic["location"],
                    "areas": ["lips"],
                    "intensity": "light",
                    "numbing": False,
                    "starts_at": start.isoformat(),
                }
                ok(client.post("/v1/sessions", json=body, headers=headers))

            def read(n: int) -> None:
                ok(client.get(f"/v1/sessions/{ids[n]}", headers=headers))

            def schedule(n: int) -> None:
                day = tomorrow + timedelta(days=n % WINDOW_DAYS)
                params = {"date": day.isoformat()}
                ok(client.get(f"/v1/providers/{provider}/schedule", params=params, headers=headers))

            def page(n: int) -> None:
                params = {**window, "provider_id": provider, "limit": 50}
                ok(client.get("/v1/sessions", params=params, headers=headers))

            def availability(n: int) -> None:
                params = {**window, "areas": "full_face", "provider_id": provider}
                ok(client.get("/v1/availability", params=params, headers=headers))

            yield [book, read, schedule, page, availability]
        database.dispose()


def measure(kind: str, sizes: list[int], runs: int) -> dict[int, dict[str, float]]:
    """p50 per size and operation. All sizes are seeded first, then measured in interleaved
    rounds (each operation once per size per round), so a busy moment of this shared machine
    falls on every size alike."""
    with ExitStack() as stack:
        apis = {size: stack.enter_context(seeded_api(kind, size, runs)) for size in sizes}
        timings: dict[tuple[int, str], list[float]] = defaultdict(list)
        for n in [-1 - w for w in range(WARMUP)] + list(range(runs)):
            for size, actions in apis.items():
                for (name, _), action in zip(OPERATIONS, actions, strict=True):
                    started = time.perf_counter()
                    action(n)
                    if n >= 0:
                        timings[(size, name)].append((time.perf_counter() - started) * 1000)
    return {
        size: {name: statistics.median(timings[(size, name)]) for name, _ in OPERATIONS}
        for size in sizes
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--sizes", default="10000,1000000", help="stored sessions, comma-separated")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    kinds = args.db.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    command = " ".join(["python", *sys.argv])
    print(f"$ {command}", flush=True)
    results = {}
    for kind in kinds:
        for size, figures in measure(kind, sizes, args.runs).items():
            results[(kind, size)] = figures
    small, large = sizes[0], sizes[-1]
    print()
    header = (
        "| request | "
        + " | ".join(f"{kind} {size:,}" for kind in kinds for size in sizes)
        + " | "
        + " | ".join(f"{kind} ratio" for kind in kinds)
        + " |"
    )
    print(header)
    print("|" + "---|" * (1 + len(kinds) * len(sizes) + len(kinds)))
    for name, request in OPERATIONS:
        cells = [f"{results[(k, s)][name]:.2f} ms" for k in kinds for s in sizes]
        ratios = [f"{results[(k, large)][name] / results[(k, small)][name]:.2f}x" for k in kinds]
        print(f"| {name}: `{request}` | " + " | ".join(cells + ratios) + " |")
    print(
        f"\np50 of {args.runs} requests each, in-process (TestClient), after {WARMUP} warm-up requests, sizes interleaved; ratio = "
        f"{large:,} / {small:,} stored sessions (target <= 1.3x). Command: `{command}`"
    )


if __name__ == "__main__":
    main()
