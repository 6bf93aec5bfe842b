"""Sizes and rates as people type them: ``1M``, ``500K``, ``2.5MiB``, ``750kB/s``.

Binary multiples throughout (``K`` is 1024, as wget, curl and aria2 read
``--limit-rate 500K``); ``kB``/``MB`` with a capital B are decimal, as disks
count. A plain number is bytes. Errors say the expected form.
"""

from __future__ import annotations

import math
import re

_FORM = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]?)(i?)(b?)(?:/s)?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
EXPECTED = "a number of bytes, optionally with a unit: 1048576, 500K, 1M, 2.5MiB, 10MB"


class UnitError(ValueError):
    """A size or rate that is not in a form we read."""


def parse_size(value: str | float) -> int:
    """Bytes (or bytes per second) from a number or a text with a unit; never negative."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a size: expected {EXPECTED}")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"{value} is negative: expected {EXPECTED}")
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise UnitError(f"{value!r} is not a size: expected {EXPECTED}")
        return int(value)
    match = _FORM.match(value)
    if match is None:
        raise UnitError(f"{value!r} is not a size: expected {EXPECTED}")
    number, prefix, binary, byte = match.groups()
    decimal = byte == "B" and not binary and prefix != ""  # "10MB": as disks count
    base = 1000 if decimal else 1024
    return int(float(number) * base ** _POWERS[prefix.lower()])


def format_size(value: int) -> str:
    """The shortest exact form ``parse_size`` reads back: ``1M``, ``512K``, ``1536``."""
    for suffix, power in (("T", 4), ("G", 3), ("M", 2), ("K", 1)):
        unit = 1024**power
        if value and value % unit == 0:
            return f"{value // unit}{suffix}"
    return str(value)
