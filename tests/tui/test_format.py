"""The TUI's formatting helpers: what a user reads in the table and the footer."""

from __future__ import annotations

from idm_tui.format import (
    human_eta,
    human_percent,
    human_size,
    human_speed,
    progress_bar,
    short_time,
)


def test_sizes_use_binary_units_and_unknown_reads_as_dash() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(5 * 1024**3) == "5.0 GiB"
    assert human_size(250 * 1024**2) == "250 MiB"
    assert human_size(None) == "–"


def test_speed_is_blank_when_nothing_moves() -> None:
    assert human_speed(0) == ""
    assert human_speed(None) == ""
    assert human_speed(2 * 1024**2) == "2.0 MiB/s"


def test_eta_reads_like_a_clock() -> None:
    assert human_eta(5) == "0:05"
    assert human_eta(75) == "1:15"
    assert human_eta(3700) == "1:01:40"
    assert human_eta(2 * 86400 + 3 * 3600) == "2d 03h"
    assert human_eta(None) == ""
    assert human_eta(float("inf")) == ""


def test_percent_never_rounds_up_to_a_false_100() -> None:
    assert human_percent(999, 1000) == "99.9%"
    assert human_percent(9999, 10000) == "99.9%"
    assert human_percent(1000, 1000) == "100%"
    assert human_percent(10, None) == "–"
    assert human_percent(10, None, "completed") == "100%"


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
    from idm_tui.format import parse_rate

    assert parse_rate("2M") == 2 * 1024**2
    assert parse_rate("500k") == 500 * 1024
    assert parse_rate("1.5 MiB/s") == int(1.5 * 1024**2)
    assert parse_rate("") == 0 and parse_rate("0") == 0 and parse_rate("off") == 0
    assert parse_rate("4096") == 4096
    for bad in ("fast", "2X", "-1M"):
        try:
            parse_rate(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
