"""Sizes and rates typed by people: the forms wget, curl and aria2 users type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idmd.core.units import UnitError, format_size, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1048576", 1048576),
        ("0", 0),
        ("500K", 500 * 1024),
        ("500k", 500 * 1024),
        ("1M", 1 << 20),
        ("2.5MiB", int(2.5 * (1 << 20))),
        ("1 MiB", 1 << 20),
        ("750KiB/s", 750 * 1024),
        ("1G", 1 << 30),
        ("10MB", 10_000_000),
        ("1kB", 1000),
        ("3m", 3 << 20),
        (".5M", 1 << 19),
    ],
)
def test_forms_people_type(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "fast", "1X", "-1M", "1.2.3K", "M", "nan", "inf", "1e400"])
def test_errors_say_the_expected_form(text: str) -> None:
    with pytest.raises(UnitError, match="expected a number of bytes, optionally with a unit"):
        parse_size(text)


def test_numbers_pass_and_nonsense_numbers_do_not() -> None:
    assert parse_size(4096) == 4096
    for bad in (-1, float("nan"), float("inf"), True):
        with pytest.raises(UnitError):
            parse_size(bad)


@given(st.integers(min_value=0, max_value=1 << 50))
def test_format_reads_back(value: int) -> None:
    assert parse_size(format_size(value)) == value
