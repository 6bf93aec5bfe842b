"""Queues and speed windows as the protocol writes them, checked into ``idmd.core.schedule`` values.

A window is ``{days, start, stop}``: ``days`` a list of day names or one text
(``"mon-fri"``, ``"sat,sun"``, ``"daily"``, ``"weekdays"``, ``"weekend"``),
``start``/``stop`` ``"HH:MM"`` (``stop`` may be ``"24:00"``; a stop not after
the start ends the next day). ``idm`` and ``idm-tui`` write one as text,
``"mon-fri 08:00-18:00"`` (``window_from_text``/``window_text``). Every error
is -32602 naming the field (``queue.windows[1].start``), and two windows that
share a minute are refused naming both. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from idmd.core.schedule import DAY, DAY_NAMES, LimitWindow, Window, overlap
from idmd.core.units import UnitError, parse_size
from idmd.protocol import checks
from idmd.protocol.checks import bad

DEFAULT_QUEUE = "default"
MAX_QUEUES = 64
MAX_WINDOWS = 64
MAX_LIMIT = 1 << 40
MAX_ACTIVE = 100  # a queue's own max_active, as the config's (idmd/config.py)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {"daily": "mon-sun", "all": "mon-sun", "weekdays": "mon-fri", "weekend": "sat,sun"}


def queue_name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise bad(
            path,
            "must be a queue name: 1 to 32 letters, digits, '.', '_' or '-',"
            " not starting with '.', '_' or '-'",
        )
    return value


def parse_days(value: Any, path: str) -> tuple[int, ...]:
    """A list of day names, or a text of names and ranges: ``mon-fri``, ``sat,sun``, ``daily``."""
    if isinstance(value, str):
        text = _DAY_WORDS.get(value.strip().lower(), value)
        items: list[Any] = [part.strip() for part in text.split(",") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise bad(path, "must be a list of days (mon … sun) or a text like 'mon-fri'")
    days: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise bad(path, "must be a list of days (mon … sun)")
        first, _, last = item.strip().lower().partition("-")
        a, b = _day(first, path), _day(last or first, path)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
    if not days:
        raise bad(path, "names no day: the window would never open")
    return tuple(sorted(days))


def _day(name: str, path: str) -> int:
    for index, full in enumerate(_FULL_DAYS):
        if name in (full, full[:3]):
            return index
    raise bad(path, f"{name!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")


def parse_time(value: Any, path: str, end: bool = False) -> int:
    """``HH:MM`` as minutes of the day; ``24:00`` only as a stop."""
    match = _TIME.match(value) if isinstance(value, str) else None
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not match or minutes > DAY or (minutes == DAY and not end):
        raise bad(path, "must be a time HH:MM from 00:00 to 23:59" + (" (or 24:00)" if end else ""))
    return minutes


def parse_window(value: Any, path: str) -> Window:
    if isinstance(value, str):
        value = window_from_text(value, path)
    if not isinstance(value, dict):
        raise bad(
            path, "must be an object {days, start, stop} or a text like 'mon-fri 08:00-18:00'"
        )
    unknown = set(value) - {"days", "start", "stop", "limit", "text"}  # text: as listed
    if unknown:
        raise bad(f"{path}.{min(unknown)}", "unknown field (known: days, start, stop)")
    days = parse_days(value.get("days", "daily"), f"{path}.days")
    start = parse_time(value.get("start"), f"{path}.start")
    stop = parse_time(value.get("stop"), f"{path}.stop", end=True)
    if start == stop:
        raise bad(f"{path}.stop", f"equals the start ({clock(start)}): the window would never open")
    return Window(days, start, stop)


def window_from_text(text: str, path: str) -> dict[str, Any]:
    """``"mon-fri 08:00-18:00"`` (the days may be left out: every day) → ``{days, start, stop}``."""
    parts = text.split()
    times = parts[-1] if parts else ""
    start, sep, stop = times.partition("-")
    if len(parts) not in (1, 2) or not sep:
        raise bad(
            path, f"{text!r}: write a window as 'DAYS HH:MM-HH:MM', e.g. 'mon-fri 08:00-18:00'"
        )
    return {"days": parts[0] if len(parts) == 2 else "daily", "start": start, "stop": stop}


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def days_text(days: Sequence[int]) -> str:
    """The shortest text for a set of days: ``daily``, ``mon-fri``, ``sat,sun``, ``mon,wed-fri``."""
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return "daily"
    runs: list[list[int]] = []
    for day in chosen:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        ",".join(DAY_NAMES[d] for d in r) if len(r) < 3 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}"
        for r in runs
    )


def window_text(window: Window) -> str:
    return f"{days_text(window.days)} {clock(window.start)}-{clock(window.stop)}"


def window_dict(window: Window) -> dict[str, Any]:
    return {
        "days": [DAY_NAMES[d] for d in window.days],
        "start": clock(window.start),
        "stop": clock(window.stop),
        "text": window_text(window),
    }


def parse_windows(value: Any, path: str) -> tuple[Window, ...]:
    if not isinstance(value, list) or len(value) > MAX_WINDOWS:
        raise bad(path, f"must be a list of at most {MAX_WINDOWS} windows")
    windows = tuple(parse_window(item, f"{path}[{i}]") for i, item in enumerate(value))
    _no_overlap(windows, path)
    return windows


def _no_overlap(windows: Sequence[Window], path: str) -> None:
    pair = overlap(windows)
    if pair is not None:
        i, j = pair
        raise bad(
            path,
            f"{path}[{i}] ({window_text(windows[i])}) and {path}[{j}] "
            f"({window_text(windows[j])}) overlap: a minute can be in one window only",
        )


def parse_limit(value: Any, path: str) -> int:
    """Bytes per second: an integer, or a text with a unit (``"1M"``); 0: no limit."""
    if isinstance(value, str):
        try:
            value = parse_size(value)
        except UnitError as exc:
            raise bad(path, str(exc)) from None
    return checks.integer(value, path, 0, MAX_LIMIT)


def parse_limits(value: Any, path: str = "limits") -> tuple[LimitWindow, ...]:
    """``[{days, start, stop, limit}]`` (or ``"mon-fri 08:00-18:00 1M"`` texts) → speed windows."""
    if not isinstance(value, list) or len(value) > MAX_WINDOWS:
        raise bad(path, f"must be a list of at most {MAX_WINDOWS} windows")
    out: list[LimitWindow] = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if isinstance(item, str):
            words = item.split()
            if len(words) < 2:
                raise bad(
                    where,
                    f"{item!r}: write a speed window as 'DAYS HH:MM-HH:MM LIMIT',"
                    " e.g. 'mon-fri 08:00-18:00 1M'",
                )
            item = {**window_from_text(" ".join(words[:-1]), where), "limit": words[-1]}
        if not isinstance(item, dict) or "limit" not in item:
            raise bad(where, "must be an object {days, start, stop, limit}")
        out.append(
            LimitWindow(parse_window(item, where), parse_limit(item["limit"], f"{where}.limit"))
        )
    _no_overlap([item.window for item in out], path)
    return tuple(out)


def limit_dict(item: LimitWindow) -> dict[str, Any]:
    return {**window_dict(item.window), "limit": item.limit}


def parse_when(value: Any, path: str) -> datetime | None:
    """An ISO 8601 date and time (null: none); without an offset, the daemon's local time."""
    if value is None:
        return None
    text = checks.one_line(value, path, 64)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise bad(
            path, f"{text!r} is not an ISO 8601 date and time (e.g. 2026-12-24T22:00)"
        ) from None


def start_time(text: str, now: datetime | None = None) -> str | None:
    """What ``idm`` and ``idm-tui`` send as a start time: ``HH:MM`` → the next such time on the
    local clock (today or tomorrow) as ISO; other text as it is (the daemon checks it);
    none → None."""
    text = text.strip()
    if text.lower() in ("none", "now", ""):
        return None
    try:
        parsed = datetime.strptime(text, "%H:%M")
    except ValueError:
        return text  # an ISO date and time, checked by the daemon
    now = now or datetime.now()
    at = now.replace(hour=parsed.hour, minute=parsed.minute, second=0, microsecond=0)
    return (at if at > now else at + timedelta(days=1)).isoformat(timespec="minutes")


def queue_max_active(value: Any, path: str) -> int | None:
    """A queue's own max_active: 1 to MAX_ACTIVE, or None (null or 0: none of its own)."""
    if value is None or value == 0 and not isinstance(value, bool):
        return None
    return checks.integer(value, path, 1, MAX_ACTIVE)
