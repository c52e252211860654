"""The notice rule alone (notices/rules.py, no database): which notices a session has, when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from needleplan.kit.statuses import NoticeAnchor, NoticeKind, NoticeState, SessionStatus
from needleplan.notices.rules import Decision, Held, SessionTimes, Template, moot, reconcile

START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
END = START + timedelta(minutes=50)
REMINDER = Template("r24", NoticeKind.reminder, NoticeAnchor.start, -1440, None, None, True)
AFTERCARE = Template("a0", NoticeKind.aftercare, NoticeAnchor.end, 0, None, None, True)
NECK = Template("neck", NoticeKind.aftercare, NoticeAnchor.end, 60, ("neck",), None, True)
RF = Template("rf", NoticeKind.aftercare, NoticeAnchor.end, 60, None, "rf", True)
OFF = Template("off", NoticeKind.reminder, NoticeAnchor.start, -60, None, None, False)
SCHEDULED, EMITTED, CANCELLED = NoticeState.scheduled, NoticeState.emitted, NoticeState.cancelled


def _session(
    status: SessionStatus = SessionStatus.booked,
    starts_at: datetime = START,
    areas: tuple[str, ...] = ("full_face",),
    device: str | None = None,
) -> SessionTimes:
    return SessionTimes(starts_at, starts_at + (END - START), status, areas, device)


def _held(template: Template, due: datetime, state: NoticeState) -> Held:
    return Held(template.code, template.kind, due, state)


def test_a_booking_gets_the_matching_templates_due_ahead() -> None:
    now = START - timedelta(days=3)
    got = reconcile(_session(), [REMINDER, AFTERCARE, NECK, RF, OFF], [], now, timing_changed=True)
    assert got == [
        Decision("r24", NoticeKind.reminder, START - timedelta(days=1), SCHEDULED),
        Decision("a0", NoticeKind.aftercare, END, SCHEDULED),
    ]
    neck_rf = _session(areas=("neck", "lips"), device="rf")
    assert {d.code for d in reconcile(neck_rf, [NECK, RF], [], now, timing_changed=True)} == {
        "neck",
        "rf",
    }


def test_nothing_is_scheduled_in_the_past() -> None:
    now = START - timedelta(hours=1)
    assert [
        d.code for d in reconcile(_session(), [REMINDER, AFTERCARE], [], now, timing_changed=True)
    ] == ["a0"]


@pytest.mark.parametrize(
    ("state", "moved_by", "expected"),
    [
        (SCHEDULED, timedelta(days=2), SCHEDULED),  # moves with the session
        (SCHEDULED, -timedelta(days=2, hours=20), CANCELLED),  # moved into the past
        (EMITTED, timedelta(days=2), SCHEDULED),  # due again for the new time
        (EMITTED, -timedelta(days=2, hours=20), None),  # stays emitted
        (EMITTED, timedelta(0), None),  # unchanged: never twice
        (CANCELLED, timedelta(days=2), SCHEDULED),
    ],
)
def test_a_move(state: NoticeState, moved_by: timedelta, expected: NoticeState | None) -> None:
    now = START - timedelta(days=3)
    held = [_held(REMINDER, START - timedelta(days=1), state)]
    got = reconcile(
        _session(starts_at=START + moved_by), [REMINDER], held, now, timing_changed=True
    )
    if expected is None:
        assert got == []
    else:
        assert got == [
            Decision("r24", NoticeKind.reminder, START + moved_by - timedelta(days=1), expected)
        ]


@pytest.mark.parametrize(
    "status", [SessionStatus.cancelled, SessionStatus.noshow, SessionStatus.entered_in_error]
)
def test_a_session_that_does_not_happen_cancels_what_is_pending(status: SessionStatus) -> None:
    now = START - timedelta(days=3)
    held = [
        _held(REMINDER, START - timedelta(days=1), EMITTED),
        _held(AFTERCARE, END, SCHEDULED),
    ]
    got = reconcile(_session(status), [REMINDER, AFTERCARE], held, now, timing_changed=True)
    assert got == [Decision("a0", NoticeKind.aftercare, END, CANCELLED)]


@pytest.mark.parametrize("status", [SessionStatus.arrived, SessionStatus.fulfilled])
def test_a_session_under_way_keeps_its_aftercare_only(status: SessionStatus) -> None:
    now = START
    held = [
        _held(REMINDER, START - timedelta(days=1), SCHEDULED),
        _held(AFTERCARE, END, SCHEDULED),
    ]
    got = reconcile(_session(status), [REMINDER, AFTERCARE], held, now, timing_changed=True)
    assert got == [
        Decision("r24", NoticeKind.reminder, START - timedelta(days=1), CANCELLED),
        Decision("a0", NoticeKind.aftercare, END, SCHEDULED),
    ]


def test_a_template_switched_off_cancels_its_pending_notice() -> None:
    switched_off = Template(
        "r24", NoticeKind.reminder, NoticeAnchor.start, -1440, None, None, False
    )
    held = [_held(REMINDER, START - timedelta(days=1), SCHEDULED)]
    got = reconcile(
        _session(), [switched_off], held, START - timedelta(days=3), timing_changed=True
    )
    assert [d.state for d in got] == [CANCELLED]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        # Notes, flags: the template's new offset and the emitted row's later time stay unread.
        (SessionStatus.booked, []),
        (
            SessionStatus.cancelled,
            [
                Decision("r2", NoticeKind.reminder, START - timedelta(hours=2), CANCELLED),
                Decision("a0", NoticeKind.aftercare, END + timedelta(hours=1), CANCELLED),
            ],
        ),
        (
            SessionStatus.noshow,
            [
                Decision("r2", NoticeKind.reminder, START - timedelta(hours=2), CANCELLED),
                Decision("a0", NoticeKind.aftercare, END + timedelta(hours=1), CANCELLED),
            ],
        ),
        (
            SessionStatus.entered_in_error,
            [
                Decision("r2", NoticeKind.reminder, START - timedelta(hours=2), CANCELLED),
                Decision("a0", NoticeKind.aftercare, END + timedelta(hours=1), CANCELLED),
            ],
        ),
        (
            SessionStatus.arrived,
            [Decision("r2", NoticeKind.reminder, START - timedelta(hours=2), CANCELLED)],
        ),
        (
            SessionStatus.fulfilled,
            [Decision("r2", NoticeKind.reminder, START - timedelta(hours=2), CANCELLED)],
        ),
    ],
)
def test_a_change_that_is_no_move_reads_no_template(
    status: SessionStatus, expected: list[Decision]
) -> None:
    """Without a booking or a move (``timing_changed=False``) the rows keep their due times, an
    emitted one is never due again, a template the session lacks is not added, and only the
    status's consequences apply, at the rows' own due times."""
    now = START - timedelta(hours=23)
    reminder_2h = Template("r2", NoticeKind.reminder, NoticeAnchor.start, -120, None, None, True)
    edited = [
        Template("r24", NoticeKind.reminder, NoticeAnchor.start, -600, None, None, True),
        Template("r2", NoticeKind.reminder, NoticeAnchor.start, -180, None, None, True),
        Template("a0", NoticeKind.aftercare, NoticeAnchor.end, 0, None, None, True),
        Template("new", NoticeKind.aftercare, NoticeAnchor.end, 30, None, None, True),
    ]
    held = [
        _held(REMINDER, START - timedelta(days=1), EMITTED),
        _held(reminder_2h, START - timedelta(hours=2), SCHEDULED),
        # Scheduled an hour after the end before the template was edited to the end itself.
        _held(AFTERCARE, END + timedelta(hours=1), SCHEDULED),
    ]
    assert reconcile(_session(status), edited, held, now, timing_changed=False) == expected
    # A booking or a move does read them: the edited offsets, the new template, again after
    # the emission.
    moved = reconcile(_session(), edited, held, now, timing_changed=True)
    assert {(d.code, d.due_at, d.state) for d in moved} == {
        ("r24", START - timedelta(hours=10), SCHEDULED),
        ("r2", START - timedelta(hours=3), SCHEDULED),
        ("a0", END, SCHEDULED),
        ("new", END + timedelta(minutes=30), SCHEDULED),
    }


def test_only_a_notice_due_before_the_start_is_moot_once_the_session_started() -> None:
    hour = timedelta(hours=1)
    assert moot(START - hour, START, START)
    assert moot(START - hour, START, START + hour)
    assert not moot(START - hour, START, START - timedelta(seconds=1))
    assert not moot(START, START, START + hour)  # due at the start: late, still sent
    assert not moot(END, START, END + hour)  # aftercare
