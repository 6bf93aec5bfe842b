"""The TUI's own formatting: bars of eighth blocks, times, typed speed limits
(sizes, speeds and ETAs are shared with idm: tests/core/test_human.py)."""

from __future__ import annotations

import pytest

from idm_tui.format import parse_rate, progress_bar, short_time


def test_progress_bar_fills_in_eighths_and_keeps_its_width() -> None:
    assert progress_bar(0.0, 4) == "    "
    assert progress_bar(1.0, 4) == "████"
    assert progress_bar(0.5, 4) == "██  "
    assert progress_bar(0.5 + 1 / 8, 4) == "██▌ "
    assert progress_bar(None, 3) == "   "
    assert all(len(progress_bar(i / 37, 10)) == 10 for i in range(38))


def test_times_drop_fractions_and_say_utc() -> None:
    assert short_time("2026-11-30T05:10:00.123456+00:00") == "2026-11-30 05:10:00 UTC"
    assert short_time("2026-11-30T05:10:00Z") == "2026-11-30 05:10:00 UTC"
    assert short_time(None) == "–"


def test_speed_limits_parse_like_a_user_types_them() -> None:
    assert parse_rate("2M") == 2 * 1024**2
    assert parse_rate("500k") == 500 * 1024
    assert parse_rate("1.5 MiB/s") == int(1.5 * 1024**2)
    assert parse_rate("") == 0 and parse_rate("0") == 0 and parse_rate("off") == 0
    assert parse_rate("4096") == 4096
    assert parse_rate("2.5MiB") == int(2.5 * 1024**2)
    assert parse_rate("10MB") == 10 * 1000**2  # a capital B with no i: decimal, as idm reads it
    for bad in ("fast", "2X", "-1M"):
        with pytest.raises(ValueError, match="expected a number of bytes, optionally with a unit"):
            parse_rate(bad)
