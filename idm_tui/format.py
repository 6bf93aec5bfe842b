"""Pure formatting of sizes, speeds, times and progress bars for the TUI.

No Textual here: the widgets call these, and the tests check them directly.
"""

from __future__ import annotations

import math

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_EIGHTHS = " ▏▎▍▌▋▊▉"
UNKNOWN = "–"


def human_size(n: float | None) -> str:
    """``1536`` -> ``1.5 KiB``; None (size not known yet) -> ``–``."""
    if n is None or n < 0:
        return UNKNOWN
    value = float(n)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_speed(bps: float | None) -> str:
    """Bytes per second as ``1.2 MiB/s``; nothing moving -> empty."""
    if not bps or bps <= 0:
        return ""
    return human_size(bps) + "/s"


def human_eta(seconds: float | None) -> str:
    """``75`` -> ``1:15``, ``3700`` -> ``1:01:40``, days as ``2d 03h``; unknown -> empty."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def fraction(done: int | None, size: int | None) -> float | None:
    """Share done in 0..1, or None while the size is unknown."""
    if not size or size <= 0 or done is None:
        return None
    return max(0.0, min(1.0, done / size))


def human_percent(done: int | None, size: int | None, status: str = "") -> str:
    """``42.5%``; a completed job with no size still reads 100%."""
    share = fraction(done, size)
    if share is None:
        return "100%" if status == "completed" else UNKNOWN
    if share >= 1.0:
        return "100%"
    return f"{math.floor(share * 1000) / 10:.1f}%"


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
