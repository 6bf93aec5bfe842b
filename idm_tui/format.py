"""Pure formatting only the TUI needs: bars of eighth blocks, times, typed speed limits.

Sizes, speeds, times left and percentages are ``idmd.core.human``, shared with
``idm``. No Textual here: the widgets call these, and the tests check them directly.
"""

from __future__ import annotations

from idmd.core.human import UNKNOWN, human_speed
from idmd.core.units import parse_size

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


_NO_LIMIT = ("", "0", "none", "off", "no")


def parse_rate(text: str) -> int:
    """A speed limit as typed (``2M``, ``500K``, ``2.5MiB``, ``750kB/s``; the units of
    ``idmd.core.units``, as ``idm`` and config.toml read them) -> bytes/s; empty, ``0``
    or ``off`` -> 0 (no limit).

    Raises ``UnitError`` (a ValueError) saying the expected form on anything else.
    """
    if text.strip().lower() in _NO_LIMIT:
        return 0
    return parse_size(text)


def fleet_line(fleet: object) -> str:
    """The status line's fleet part, from ``stats.fleet``: each node, alive or not, with its
    active jobs and speed (``n1 ● 2↓ 1.2 MB/s  n2 ○``); empty outside a fleet."""
    if not isinstance(fleet, dict):
        return ""
    parts = []
    for node in fleet.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        name = str(node.get("node", "?"))
        if not node.get("alive"):
            parts.append(f"{name} ○")
            continue
        active = int(node.get("active") or 0)
        parts.append(
            f"{name} ● {active}↓ {human_speed(float(node.get('speed') or 0))}"
            if active
            else f"{name} ●"
        )
    head = "fleet" if fleet.get("reachable") else "fleet unreachable"
    return f"{head}: {'  '.join(parts)}" if parts else head
