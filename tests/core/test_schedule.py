"""The weekly windows of idmd/core/schedule.py against a brute-force walk over the week's minutes,
and the checks of idmd/protocol/schedule.py (what a user types, refused naming the field)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idmd.core.schedule import (
    DAY,
    WEEK,
    LimitWindow,
    QueuePlan,
    Window,
    current_limit,
    in_windows,
    minute_of_week,
    next_change,
    next_limit_change,
    next_opening,
    overlap,
)
from idmd.protocol.errors import InvalidParams
from idmd.protocol.schedule import days_text, parse_days, parse_limits, parse_windows, window_text

MONDAY = datetime(2026, 11, 30)  # a Monday, 00:00


def at(minute: int) -> datetime:
    return MONDAY + timedelta(minutes=minute)


def brute_open(window: Window, minute: int) -> bool:
    """Is ``minute`` (of the week) in the window, by walking each of its days."""
    for day in window.days:
        begin = day * DAY + window.start
        length = (
            window.stop - window.start
            if window.stop > window.start
            else DAY - window.start + window.stop
        )
        if (minute - begin) % WEEK < length:
            return True
    return False


windows_st = st.builds(
    Window,
    days=st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(tuple),
    start=st.integers(0, DAY - 1),
    stop=st.integers(1, DAY),
).filter(lambda w: w.start != w.stop)
minutes_st = st.integers(0, WEEK - 1)
seconds_st = st.integers(0, 59)


@settings(max_examples=200, deadline=None)
@given(st.lists(windows_st, max_size=4), minutes_st)
def test_in_windows_is_the_brute_force_answer(windows: list[Window], minute: int) -> None:
    expected = not windows or any(brute_open(w, minute) for w in windows)
    assert in_windows(windows, at(minute)) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(windows_st, min_size=1, max_size=3), minutes_st, seconds_st)
def test_next_change_is_the_first_minute_with_the_other_answer(
    windows: list[Window], minute: int, second: int
) -> None:
    now = at(minute) + timedelta(seconds=second)
    state = in_windows(windows, now)
    found = next_change(windows, now)
    walk = next(
        (k for k in range(1, WEEK + 1) if in_windows(windows, at(minute + k)) != state), None
    )
    if walk is None:
        assert found is None  # open all week round, never closes
    else:
        assert found == at(minute + walk)


@settings(max_examples=100, deadline=None)
@given(st.lists(windows_st, min_size=1, max_size=3), minutes_st)
def test_next_opening_is_the_first_closed_to_open_minute(
    windows: list[Window], minute: int
) -> None:
    walk = next(
        (
            k
            for k in range(1, WEEK + 1)
            if in_windows(windows, at(minute + k)) and not in_windows(windows, at(minute + k - 1))
        ),
        None,
    )
    found = next_opening(windows, at(minute))
    assert found == (at(minute + walk) if walk is not None else None)


@settings(max_examples=150, deadline=None)
@given(st.lists(windows_st, min_size=2, max_size=4))
def test_overlap_names_two_windows_sharing_a_minute(windows: list[Window]) -> None:
    found = overlap(windows)
    shared = [
        (i, j)
        for i in range(len(windows))
        for j in range(i + 1, len(windows))
        if any(brute_open(windows[i], m) and brute_open(windows[j], m) for m in range(0, WEEK, 1))
    ]
    assert found == (shared[0] if shared else None)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(windows_st, st.integers(0, 1 << 30)), max_size=3), minutes_st)
def test_the_limit_is_the_open_windows_and_changes_when_it_says(
    items: list[tuple[Window, int]], minute: int
) -> None:
    limits = [LimitWindow(w, limit) for w, limit in items]
    if overlap([w for w, _ in items]) is not None:
        return  # refused when set (tests below)
    expected = next((limit for w, limit in items if brute_open(w, minute)), None)
    assert current_limit(limits, at(minute)) == expected
    walk = next(
        (k for k in range(1, WEEK + 1) if current_limit(limits, at(minute + k)) != expected), None
    )
    assert next_limit_change(limits, at(minute)) == (
        at(minute + walk) if walk is not None else None
    )


def test_a_night_window_crosses_midnight_and_sunday_into_monday() -> None:
    night = Window((6,), 22 * 60, 6 * 60)  # Sunday 22:00 to Monday 06:00
    assert in_windows([night], datetime(2026, 12, 6, 23, 30))  # Sunday
    assert in_windows([night], datetime(2026, 12, 7, 5, 59))  # Monday
    assert not in_windows([night], datetime(2026, 12, 7, 6, 0))
    assert next_change([night], datetime(2026, 12, 7, 1, 0)) == datetime(2026, 12, 7, 6, 0)
    assert minute_of_week(datetime(2026, 12, 7)) == 0


def test_a_queue_waits_for_start_at_and_a_hold_lifts_at_the_next_opening() -> None:
    office = Window((0, 1, 2, 3, 4), 8 * 60, 18 * 60)
    plan = QueuePlan((office,), start_at=datetime(2026, 12, 2, 12, 0))  # a Wednesday
    assert not plan.is_open(datetime(2026, 12, 1, 9, 0))  # in the window, before start_at
    assert plan.next_change(datetime(2026, 12, 1, 9, 0)) == datetime(2026, 12, 1, 18, 0)
    assert plan.is_open(datetime(2026, 12, 2, 12, 0))
    held = QueuePlan((office,), held_at=datetime(2026, 12, 2, 12, 0))
    assert not held.is_open(datetime(2026, 12, 2, 17, 0))
    assert held.hold_ends() == datetime(2026, 12, 3, 8, 0)
    assert held.is_open(datetime(2026, 12, 3, 8, 0))  # the next morning, the hold is gone
    forever = QueuePlan(held_at=datetime(2026, 12, 2, 12, 0))  # no windows: only by hand
    assert (
        not forever.is_open(datetime(2030, 1, 1))
        and forever.next_change(datetime(2030, 1, 1)) is None
    )


def test_days_are_read_as_people_write_them() -> None:
    assert parse_days("mon-fri", "d") == (0, 1, 2, 3, 4)
    assert parse_days("weekend", "d") == (5, 6)
    assert parse_days("fri-mon", "d") == (0, 4, 5, 6)
    assert parse_days(["Monday", "wed"], "d") == (0, 2)
    assert days_text((0, 1, 2, 3, 4)) == "mon-fri" and days_text(range(7)) == "daily"
    assert days_text((0, 2, 3, 4)) == "mon,wed-fri"


@pytest.mark.parametrize(
    ("value", "param", "words"),
    [
        (["mon-fri 08:00-08:00"], "windows[0].stop", "never open"),
        ([{"days": [], "start": "08:00", "stop": "09:00"}], "windows[0].days", "never open"),
        (
            [{"days": "funday", "start": "08:00", "stop": "09:00"}],
            "windows[0].days",
            "'funday' is not a day",
        ),
        ([{"days": "mon", "start": "25:00", "stop": "09:00"}], "windows[0].start", "HH:MM"),
        ([{"days": "mon", "start": "24:00", "stop": "09:00"}], "windows[0].start", "HH:MM"),
        ([{"days": "mon", "start": "8", "stop": "09:00"}], "windows[0].start", "HH:MM"),
        (
            [{"days": "mon", "start": "08:00", "stop": "09:00", "when": 1}],
            "windows[0].when",
            "unknown",
        ),
        (
            ["mon-fri 08:00-18:00", "fri 17:00-20:00"],
            "windows",
            "windows[0] (mon-fri 08:00-18:00) and windows[1]",
        ),
        (["whenever"], "windows[0]", "DAYS HH:MM-HH:MM"),
    ],
)
def test_bad_windows_are_refused_naming_the_field(value: object, param: str, words: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        parse_windows(value, "windows")
    assert caught.value.data == {"param": param} and words in str(caught.value)


def test_speed_windows_take_a_unit_and_overlaps_name_both() -> None:
    (item,) = parse_limits(["mon-fri 08:00-18:00 1M"])
    assert item.limit == 1024 * 1024 and window_text(item.window) == "mon-fri 08:00-18:00"
    with pytest.raises(InvalidParams) as caught:
        parse_limits(["daily 22:00-06:00 0", "sun 05:00-07:00 1M"])
    assert "limits[0] (daily 22:00-06:00) and limits[1] (sun 05:00-07:00) overlap" in str(
        caught.value
    )
    with pytest.raises(InvalidParams) as caught:
        parse_limits([{"days": "mon", "start": "08:00", "stop": "09:00", "limit": "fast"}])
    assert caught.value.data == {"param": "limits[0].limit"}
