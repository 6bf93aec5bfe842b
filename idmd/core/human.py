"""Sizes, speeds, times left and progress as people read them: one form for
``idm`` and ``idm-tui``, so the two never show the same job differently.

Pure (no I/O, no Textual) so both clients can import it; what a value looks
like lives here, where it sits on a screen is each client's business. Every
function answers a non-empty string: an unknown value reads ``–``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
UNKNOWN = "–"


def human_size(n: float | None) -> str:
    """``1536`` -> ``1.5 KiB``, ``250 MiB`` (three digits at most); None (not known) -> ``–``."""
    if n is None or n < 0:
        return UNKNOWN
    value = float(n)
    for unit in UNITS:
        if value < 1024 or unit == UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_speed(bps: float | None) -> str:
    """Bytes per second as ``1.2 MiB/s``; ``0 B/s`` when nothing moves; None -> ``–``."""
    if bps is None or bps < 0:
        return UNKNOWN
    return human_size(bps) + "/s"


def human_eta(seconds: float | None) -> str:
    """``75`` -> ``1:15``, ``3700`` -> ``1:01:40``, days as ``2d 03h``; unknown -> ``–``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return UNKNOWN
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
    """``42.5%``, rounded down so 99.96 % never reads as a false ``100%``; a completed
    job with no size still reads ``100%``."""
    share = fraction(done, size)
    if share is None:
        return "100%" if status == "completed" else UNKNOWN
    if share >= 1.0:
        return "100%"
    return f"{math.floor(share * 1000) / 10:.1f}%"


def local_time(stamp: str | None) -> str:
    """An ISO 8601 time from the daemon (UTC, ``…Z``) in the reader's time zone:
    ``2026-12-03 03:04:05 CET``; unknown or unreadable -> ``–`` or the text as it came."""
    if not stamp:
        return UNKNOWN
    try:
        moment = datetime.fromisoformat(stamp)  # reads "Z" since Python 3.11
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
