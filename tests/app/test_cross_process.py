"""Nothing read once per change is ever served stale by another process (issue 12, point 5).

Two single-worker ``needleplan serve`` processes on one database: a change made through process
A (a working plan, a screening, a screening condition, an area's minutes, a key's revocation)
is seen by the very next request to process B, which had already answered the same question
(and so holds whatever it caches).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.live_server import (
    LiveServer,
    _stop,
    _wait_until_healthy,
    free_port,
    needleplan_command,
    running_server,
)

pytestmark = pytest.mark.slow

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@contextmanager
def another_process(server: LiveServer, tmp_dir: Path) -> Iterator[LiveServer]:
    """A second single-worker ``needleplan serve`` on the database of ``server``."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_dir / f"serve-{port}.log"
    command = [*needleplan_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*command, "--workers", "1"],
            env=server.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(process, base_url, log_path)
        yield LiveServer(
            base_url=base_url,
            database_url=server.database_url,
            admin_key=server.admin_key,
            workers=1,
            process=process,
            log_path=log_path,
            env=server.env,
        )
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp_dir = tmp_path_factory.mktemp("cross")
    with running_server(tmp_dir, workers=1) as a, another_process(a, tmp_dir) as b:
        yield a, b


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _local(day: date, wall: str) -> str:
    hours, minutes = (int(part) for part in wall.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=BERLIN).isoformat()


@pytest.fixture(scope="module")
def clinic(processes: tuple[LiveServer, LiveServer]) -> dict[str, str]:
    a, _ = processes
    with httpx.Client(base_url=a.base_url, headers=a.admin_headers, timeout=30) as http:
        location = _ok(
            http.post("/v1/locations", json={"name": "X", "time_zone": "Europe/Berlin"}), 201
        )["id"]
        provider = _ok(http.post("/v1/providers", json={"name": "P", "profession": "nurse"}), 201)
        room = _ok(http.post("/v1/rooms", json={"location_id": location, "name": "R"}), 201)
        client = _ok(
            http.post(
                "/v1/clients",
                json={
                    "first_name": "C",
                    "last_name": "X",
                    "date_of_birth": "1990-01-01",
                    "email": "c@example.org",
                    "numbing_preference": "never",  # bookings below leave numbing out
                },
            ),
            201,
        )["id"]
        today = datetime.now(BERLIN).date().isoformat()
        _ok(
            http.post(
                f"/v1/clients/{client}/screenings",
                json={"screened_on": today, "conditions": ["sensitive_skin"]},
            ),
            201,
        )
    _working_plan(a, provider["id"], location, "08:00", "20:00")
    return {"location": location, "provider": provider["id"], "room": room["id"], "client": client}


def _working_plan(
    server: LiveServer, provider: str, location: str, opens: str, closes: str
) -> None:
    intervals = [
        {"location_id": location, "weekday": d, "start_time": opens, "end_time": closes}
        for d in WEEK
    ]
    response = httpx.put(
        server.url(f"/v1/providers/{provider}/working-plan"),
        json={"intervals": intervals},
        headers=server.admin_headers,
    )
    _ok(response)


def _booking(clinic: dict[str, str], starts_at: str) -> dict[str, Any]:
    return {
        "client_id": clinic["client"],
        "provider_id": clinic["provider"],
        "room_id": clinic["room"],
        "location_id": clinic["location"],
        "areas": ["lips"],
        "intensity": "light",
        "starts_at": starts_at,
    }


def _eligibility(server: LiveServer, client: str) -> dict[str, Any]:
    response = httpx.get(
        server.url(f"/v1/clients/{client}/eligibility"), headers=server.admin_headers
    )
    body: dict[str, Any] = _ok(response)
    return body


def test_a_working_plan_changed_in_one_process_holds_in_the_other(
    processes: tuple[LiveServer, LiveServer], clinic: dict[str, str]
) -> None:
    a, b = processes
    day = datetime.now(BERLIN).date() + timedelta(days=5)
    _ok(
        httpx.post(
            b.url("/v1/sessions"),
            json=_booking(clinic, _local(day, "15:00")),
            headers=b.admin_headers,
        ),
        201,
    )
    _working_plan(a, clinic["provider"], clinic["location"], "08:00", "12:00")
    refused = httpx.post(
        b.url("/v1/sessions"), json=_booking(clinic, _local(day, "16:00")), headers=b.admin_headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "/problems/outside-working-hours"
    _ok(
        httpx.post(
            b.url("/v1/sessions"),
            json=_booking(clinic, _local(day, "09:00")),
            headers=b.admin_headers,
        ),
        201,
    )


def test_a_screening_and_a_condition_changed_in_one_process_hold_in_the_other(
    processes: tuple[LiveServer, LiveServer], clinic: dict[str, str]
) -> None:
    a, b = processes
    # sensitive_skin is a caution: B reads (and may keep) the catalogue saying so.
    assert _eligibility(b, clinic["client"])["status"] == "eligible_with_cautions"
    changed = httpx.patch(
        a.url("/v1/screening-conditions/sensitive_skin"),
        json={"kind": "contraindication"},
        headers={**a.admin_headers, "If-Match": '"1"'},
    )
    _ok(changed)
    assert _eligibility(b, clinic["client"])["status"] == "not_eligible"
    back = httpx.patch(
        a.url("/v1/screening-conditions/sensitive_skin"),
        json={"kind": "caution"},
        headers={**a.admin_headers, "If-Match": '"2"'},
    )
    _ok(back)
    assert _eligibility(b, clinic["client"])["status"] == "eligible_with_cautions"
    today = datetime.now(BERLIN).date().isoformat()
    _ok(
        httpx.post(
            a.url(f"/v1/clients/{clinic['client']}/screenings"),
            json={"screened_on": today, "conditions": ["pregnancy"]},
            headers=a.admin_headers,
        ),
        201,
    )
    verdict = _eligibility(b, clinic["client"])
    assert verdict["status"] == "not_eligible"
    assert "pregnancy" in {reason["code"] for reason in verdict["reasons"]}


def test_an_areas_minutes_changed_in_one_process_hold_in_the_other(
    processes: tuple[LiveServer, LiveServer],
) -> None:
    a, b = processes
    ask = {"areas": ["lips"], "intensity": "intensive"}
    before = _ok(httpx.post(b.url("/v1/duration-quotes"), json=ask, headers=b.admin_headers))
    area = httpx.get(a.url("/v1/treatment-areas/lips"), headers=a.admin_headers)
    _ok(area)
    minutes = before["treatment_minutes"] + 10
    changed = httpx.patch(
        a.url("/v1/treatment-areas/lips"),
        json={"max_minutes": minutes},
        headers={**a.admin_headers, "If-Match": area.headers["etag"]},
    )
    _ok(changed)
    after = _ok(httpx.post(b.url("/v1/duration-quotes"), json=ask, headers=b.admin_headers))
    assert after["treatment_minutes"] == minutes


def test_a_key_revoked_in_one_process_is_refused_by_the_other_at_once(
    processes: tuple[LiveServer, LiveServer],
) -> None:
    a, b = processes
    created = _ok(
        httpx.post(
            a.url("/v1/api-keys"),
            json={"name": "revoked soon", "role": "front_desk"},
            headers=a.admin_headers,
        ),
        201,
    )
    headers = {"Authorization": f"Bearer {created['key']}"}
    for _ in range(3):
        _ok(httpx.get(b.url("/v1/locations"), headers=headers))
    revoked = httpx.delete(a.url(f"/v1/api-keys/{created['id']}"), headers=a.admin_headers)
    assert revoked.status_code == 204, revoked.text
    refused = httpx.get(b.url("/v1/locations"), headers=headers)
    assert refused.status_code == 401, refused.text


def _session_reads(server: LiveServer, session: dict[str, Any], day: date) -> list[dict[str, Any]]:
    """The session as each read shows it: by id, in a page of its client's sessions and in its
    provider's day (sessions/reads.py keeps each one's JSON)."""
    with httpx.Client(base_url=server.base_url, headers=server.admin_headers) as http:
        one = _ok(http.get(f"/v1/sessions/{session['id']}"))
        page = _ok(http.get("/v1/sessions", params={"client_id": session["client_id"]}))
        schedule = _ok(
            http.get(
                f"/v1/providers/{session['provider_id']}/schedule",
                params={"date": day.isoformat(), "location_id": session["location_id"]},
            )
        )
    (in_page,) = page["items"]
    (in_day,) = schedule["sessions"]
    return [one, in_page, in_day]


def test_a_session_read_in_one_process_shows_changes_made_in_the_other_at_once(
    processes: tuple[LiveServer, LiveServer],
) -> None:
    """B keeps the JSON of the sessions it reads (sessions/reads.py); what A changes (the session,
    the client's screening, the location's zone) is in B's very next read of each kind."""
    a, b = processes
    with httpx.Client(base_url=a.base_url, headers=a.admin_headers, timeout=30) as http:
        # A clinic of this test's own: it moves the location to another zone.
        location = _ok(
            http.post("/v1/locations", json={"name": "Y", "time_zone": "Europe/Berlin"}), 201
        )
        provider = _ok(http.post("/v1/providers", json={"name": "Q", "profession": "nurse"}), 201)[
            "id"
        ]
        room = _ok(http.post("/v1/rooms", json={"location_id": location["id"], "name": "S"}), 201)[
            "id"
        ]
        client = _ok(
            http.post(
                "/v1/clients",
                json={
                    "first_name": "D",
                    "last_name": "Y",
                    "date_of_birth": "1991-02-03",
                    "email": "d@example.org",
                    "numbing_preference": "never",
                },
            ),
            201,
        )["id"]
        today = datetime.now(BERLIN).date()
        _ok(
            http.post(
                f"/v1/clients/{client}/screenings",
                json={"screened_on": today.isoformat(), "conditions": ["sensitive_skin"]},
            ),
            201,
        )
    _working_plan(a, provider, location["id"], "08:00", "20:00")
    day = today + timedelta(days=9)
    ask = {"client": client, "provider": provider, "room": room, "location": location["id"]}
    session = _ok(
        httpx.post(
            b.url("/v1/sessions"), json=_booking(ask, _local(day, "10:00")), headers=b.admin_headers
        ),
        201,
    )
    for _ in range(2):  # read twice: the second read is answered from what B keeps
        reads = _session_reads(b, session, day)
    assert all(read == reads[0] for read in reads)
    assert reads[0]["cautions"] == [{"code": "sensitive_skin", "acknowledged": False}]
    assert reads[0]["starts_at"] == _local(day, "10:00")

    noted = httpx.patch(
        a.url(f"/v1/sessions/{session['id']}"),
        json={"notes": "Client asks for a lighter pass."},
        headers={**a.admin_headers, "If-Match": f'"{session["version"]}"'},
    )
    _ok(noted)
    assert [read["notes"] for read in _session_reads(b, session, day)] == [
        "Client asks for a lighter pass."
    ] * 3

    _ok(
        httpx.post(
            a.url(f"/v1/clients/{client}/screenings"),
            json={"screened_on": today.isoformat(), "conditions": ["sensitive_skin", "rosacea"]},
            headers=a.admin_headers,
        ),
        201,
    )
    assert [
        {caution["code"] for caution in read["cautions"]}
        for read in _session_reads(b, session, day)
    ] == [{"sensitive_skin", "rosacea"}] * 3

    def day_zones() -> list[object]:
        """B's day of the provider, by the location asked for and by their working plan's."""
        path = f"/v1/providers/{provider}/schedule"
        with httpx.Client(base_url=b.base_url, headers=b.admin_headers) as http:
            return [
                _ok(http.get(path, params={"date": day.isoformat(), **asked}))["time_zone"]
                for asked in ({"location_id": location["id"]}, {})
            ]

    assert day_zones() == day_zones() == ["Europe/Berlin"] * 2  # read twice: B keeps what it can
    moved = httpx.patch(
        a.url(f"/v1/locations/{location['id']}"),
        json={"time_zone": "Europe/London"},
        headers={**a.admin_headers, "If-Match": f'"{location["version"]}"'},
    )
    _ok(moved)
    # The same instant, now shown in London's offset (zero in winter, written Z).
    london = datetime.fromisoformat(_local(day, "10:00")).astimezone(ZoneInfo("Europe/London"))
    shown = [datetime.fromisoformat(read["starts_at"]) for read in _session_reads(b, session, day)]
    assert shown == [london] * 3
    assert [instant.utcoffset() for instant in shown] == [london.utcoffset()] * 3
    assert day_zones() == ["Europe/London"] * 2
