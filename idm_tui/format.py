"""Pure formatting only the TUI needs: bars of eighth blocks, times, typed speed limits.

Sizes, speeds, times left and percentages are ``idmd.core.human``, shared with
``idm``. No Textual here: the widgets call these, and the tests check them directly.
"""

from __future__ import annotations

from idmd.core.human import UNKNOWN

_EIGHTHS = " ▏▎▍▌▋▊▉"


def progress_bar(share: float | None, width: int) -> str:
    """A bar of ``width`` cells filled with eighth blocks; unknown share -> blank bar."""
    if width <= 0:
        return ""
    if share is None:
        return " " * width
    eighths = int(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full
    if full < width:
        bar += _EIGHTHS[part]
    return bar.ljust(width)


def short_time(iso: str | None) -> str:
    """An ISO 8601 UTC time as ``2026-11-30 05:10:00`` (seconds, no zone suffix)."""
    if not iso:
        return UNKNOWN
    text = iso.replace("T", " ")
    for suffix in ("+00:00", "Z"):
        text = text.removesuffix(suffix)
    return text.split(".")[0] + " UTC"


_RATE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2,
               "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def parse_rate(text: str) -> int:
    """``"2M"``, ``"500k"``, ``"1.5 MiB"`` (per second) -> bytes/s; ``""``/``"0"`` -> 0 (no limit).

    Raises ValueError with a readable message on anything else.
    """
    cleaned = text.strip().lower().removesuffix("/s").replace(" ", "")
    if cleaned in ("", "0", "none", "off"):
        return 0
    number = cleaned.rstrip("kmgib")
    unit = cleaned[len(number):]
    if unit not in _RATE_UNITS:
        raise ValueError(f"unknown unit in {text!r}: use K, M or G")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a speed: {text!r} (try 500K or 2M)") from None
    if value < 0:
        raise ValueError("a speed limit cannot be negative")
    return int(value * _RATE_UNITS[unit])
