"""Calendar feeds (issue 14, points 1, 2 and 4): every feed is parsed by two independent
parsers, ``icalendar`` and ``ical``, and the fields subscribed apps rely on are checked."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fastapi.testclient import TestClient
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream

from tests.clock import at
from tests.conftest import Headers
from tests.factories import Clinic, booked, booking, future_day, local, make_client, make_clinic

BERLIN = ZoneInfo("Europe/Berlin")


def _feed(client: TestClient, headers: Headers, scope: str, subject: str, **extra: Any) -> Any:
    response = client.post(
        "/v1/calendar-feeds", json={"scope": scope, "id": subject, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def _path(feed: dict[str, Any]) -> str:
    return "/calendar/" + feed["url"].split("/calendar/", 1)[1]


def _both(client: TestClient, feed: dict[str, Any]) -> tuple[icalendar.Calendar, IcalCalendar]:
    response = client.get(_path(feed))  # no Authorization header: calendar apps send none
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    first = icalendar.Calendar.from_ical(response.content)
    second = IcsCalendarStream.calendar_from_ics(response.text)
    for name in ("VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME", "X-WR-TIMEZONE"):
        assert name in first, name
    assert str(first["VERSION"]) == "2.0" == second.version
    assert str(first["CALSCALE"]) == "GREGORIAN" == second.calscale
    assert str(first["METHOD"]) == "PUBLISH" == second.method
    assert second.prodid.startswith("-//needleplan//")
    # One VTIMEZONE per zone used, with its DST rules.
    zones = {str(tz["TZID"]) for tz in first.walk("VTIMEZONE")}
    used = {event["DTSTART"].params["TZID"] for event in first.walk("VEVENT")} | {
        str(first["X-WR-TIMEZONE"])
    }
    assert zones == used
    for tz in first.walk("VTIMEZONE"):
        assert tz.walk("DAYLIGHT")
        assert tz.walk("STANDARD")
    assert {tz.tz_id for tz in second.timezones} == zones
    for event in first.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS"):
            assert name in event, name
        for name in ("LAST-MODIFIED", "SUMMARY", "LOCATION"):
            assert name in event, name
    return first, second


def _events(first: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in first.walk("VEVENT")}


def _setup(client: TestClient, admin: Headers, clinician: Headers) -> tuple[Clinic, str]:
    return make_clinic(client, admin), make_client(client, clinician, name="Alice")


def test_a_provider_feed_parses_in_both_parsers_with_its_fields(
    client: TestClient, admin: Headers, clinician: Headers, front_desk: Headers
) -> None:
    clinic, alice = _setup(client, admin, clinician)
    session = booked(
        client,
        clinician,
        booking(clinic, alice, local(future_day(5), "10:00"), numbing=True),
    )
    feed = _feed(client, front_desk, "provider", clinic.provider_ids[0])
    assert set(feed) == {"id", "scope", "subject_id", "url", "created_at", "include_client_names"}
    token = feed["url"].split("/calendar/", 1)[1].removesuffix(".ics")
    assert len(token) >= 32  # 192 random bits
    assert feed["scope"] == "provider"
    assert feed["include_client_names"] is False
    first, second = _both(client, feed)
    assert str(first["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert str(first["X-WR-CALNAME"]) == "needleplan: Provider 1"
    event = _events(first)[f"{session['id']}@needleplan"]
    # The provider's part: the treatment, after 30 minutes of numbing cream.
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert (start.hour, start.minute) == (10, 30)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert "Full face" in str(event["SUMMARY"])
    assert "Room 1" in str(event["SUMMARY"])
    assert "Alice" not in str(event["SUMMARY"])  # never the client by default
    assert str(event["LOCATION"]) == "Clinic, Room 1"
    (other,) = second.events
    assert other.uid == f"{session['id']}@needleplan"
    assert other.dtstart == start
    assert other.dtend == event.decoded("DTEND")
    assert other.summary == str(event["SUMMARY"])
    # list and get show the feed without its URL
    listed = client.get("/v1/calendar-feeds", headers=front_desk).json()["items"]
    got = client.get(f"/v1/calendar-feeds/{feed['id']}", headers=front_desk).json()
    assert "url" not in got
    assert all("url" not in item for item in listed)
    assert got == {k: v for k, v in feed.items() if k != "url"}


def test_room_and_client_feeds_show_the_whole_stay_and_only_their_sessions(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic, alice = _setup(client, admin, clinician)
    bob = make_client(client, clinician, name="Bob")
    mine = booked(
        client, clinician, booking(clinic, alice, local(future_day(5), "10:00"), numbing=True)
    )
    booked(client, clinician, booking(clinic, bob, local(future_day(6), "10:00"), room=1))
    room_feed = _feed(client, admin, "room", clinic.room_ids[0])
    first, _ = _both(client, room_feed)
    (event,) = first.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute) == (10, 0)  # the stay, numbing included
    client_feed = _feed(client, clinician, "client", alice, include_client_names=True)
    first, second = _both(client, client_feed)
    assert set(_events(first)) == {f"{mine['id']}@needleplan"}
    assert [e.uid for e in second.events] == [f"{mine['id']}@needleplan"]
    assert str(first.walk("VEVENT")[0]["SUMMARY"]).startswith("Alice Test: ")
    location_feed = _feed(client, admin, "location", clinic.location_id)
    assert len(_both(client, location_feed)[1].events) == 2


def test_a_session_across_the_berlin_dst_change_keeps_its_local_time(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    with at("2027-03-20T09:00:00+00:00"):
        clinic, alice = _setup(client, admin, clinician)
        before = booked(client, clinician, booking(clinic, alice, "2027-03-26T10:00:00+01:00"))
        after = booked(client, clinician, booking(clinic, alice, "2027-03-29T10:00:00+02:00"))
        first, second = _both(client, _feed(client, admin, "room", clinic.room_ids[0]))
    events = _events(first)
    by_uid = {e.uid: e for e in second.events}
    for session, utc_hour in ((before, 9), (after, 8)):
        uid = f"{session['id']}@needleplan"
        for start in (events[uid].decoded("DTSTART"), by_uid[uid].dtstart):
            assert isinstance(start, datetime)
            assert (start.hour, start.minute) == (10, 0)
            assert start.astimezone(UTC).hour == utc_hour
        assert by_uid[uid].dtstart.utcoffset() == events[uid].decoded("DTSTART").utcoffset()


def test_a_move_raises_sequence_and_keeps_uid_and_a_cancellation_stays_cancelled(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic, alice = _setup(client, admin, clinician)
    moved = booked(client, clinician, booking(clinic, alice, local(future_day(5), "10:00")))
    cancelled = booked(client, clinician, booking(clinic, alice, local(future_day(7), "10:00")))
    feed = _feed(client, admin, "provider", clinic.provider_ids[0])
    before = _events(_both(client, feed)[0])
    response = client.patch(
        f"/v1/sessions/{moved['id']}",
        json={"starts_at": local(future_day(6), "11:00")},
        headers={**clinician, "If-Match": f'"{moved["version"]}"'},
    )
    assert response.status_code == 200, response.text
    response = client.post(
        f"/v1/sessions/{cancelled['id']}/cancel", json={"reason": "ill"}, headers=clinician
    )
    assert response.status_code == 200, response.text
    first, second = _both(client, feed)
    after = _events(first)
    uid = f"{moved['id']}@needleplan"
    assert set(after) == set(before)  # same UIDs
    assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    assert after[uid].decoded("DTSTART").hour == 11
    gone = f"{cancelled['id']}@needleplan"
    assert str(after[gone]["STATUS"]) == "CANCELLED"
    assert int(after[gone]["SEQUENCE"]) > int(before[gone]["SEQUENCE"])
    by_uid = {e.uid: e for e in second.events}
    assert by_uid[gone].status == "CANCELLED"
    assert by_uid[uid].sequence == int(after[uid]["SEQUENCE"])


def test_etag_and_if_none_match_answer_304(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic, alice = _setup(client, admin, clinician)
    booked(client, clinician, booking(clinic, alice, local(future_day(5), "10:00")))
    path = _path(_feed(client, admin, "location", clinic.location_id))
    etag = client.get(path).headers["etag"]
    assert client.get(path).headers["etag"] == etag
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    booked(client, clinician, booking(clinic, alice, local(future_day(6), "10:00")))
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_a_deleted_or_unknown_feed_is_404(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic, _ = _setup(client, admin, clinician)
    feed = _feed(client, admin, "room", clinic.room_ids[0])
    assert client.get(_path(feed)).status_code == 200
    assert client.delete(f"/v1/calendar-feeds/{feed['id']}", headers=admin).status_code == 204
    assert client.get(_path(feed)).status_code == 404
    assert client.get(f"/v1/calendar-feeds/{feed['id']}", headers=admin).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_role_rules(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    front_desk: Headers,
    integration: Headers,
) -> None:
    clinic, alice = _setup(client, admin, clinician)
    for scope, subject in (
        ("provider", clinic.provider_ids[0]),
        ("room", clinic.room_ids[0]),
        ("location", clinic.location_id),
    ):
        _feed(client, front_desk, scope, subject)
    refused = [
        ("client", alice, False),
        ("provider", clinic.provider_ids[0], True),
    ]
    for scope, subject, names in refused:
        response = client.post(
            "/v1/calendar-feeds",
            json={"scope": scope, "id": subject, "include_client_names": names},
            headers=front_desk,
        )
        assert response.status_code == 403, response.text
    response = client.post(
        "/v1/calendar-feeds", json={"scope": "room", "id": clinic.room_ids[0]}, headers=integration
    )
    assert response.status_code == 403
    assert client.get("/v1/calendar-feeds", headers=integration).status_code == 403
    named = _feed(client, clinician, "client", alice)
    assert client.delete(f"/v1/calendar-feeds/{named['id']}", headers=front_desk).status_code == 403
    response = client.post(
        "/v1/calendar-feeds", json={"scope": "room", "id": "nope"}, headers=admin
    )
    assert response.status_code == 422


def test_the_access_log_never_shows_a_feed_token(
    client: TestClient, admin: Headers, clinician: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    clinic, _ = _setup(client, admin, clinician)
    feed = _feed(client, admin, "room", clinic.room_ids[0])
    token = feed["url"].split("/calendar/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="needleplan.access"):
        assert client.get(_path(feed)).status_code == 200
        assert client.get("/calendar/unknown-token.ics").status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "needleplan.access"]
    assert any(line.startswith("GET /calendar/<redacted>.ics 200") for line in lines), lines
    assert any(line.startswith("GET /calendar/<redacted>.ics 404") for line in lines), lines
    assert all(token not in r.getMessage() for r in caplog.records)
    assert all("unknown-token" not in r.getMessage() for r in caplog.records)
