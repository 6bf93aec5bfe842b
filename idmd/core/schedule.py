"""Weekly time windows: is a queue open, what speed limit applies, when that changes next.

Pure: a window is a set of weekdays with a start and a stop minute of the day,
and every question is asked at a naive datetime on the daemon's wall clock.
The week is 10,080 minutes, so a window is one or two half-open spans of
minutes of the week (a window whose stop is not after its start ends on the
next day; Sunday's runs into Monday). A cron expression names instants, not
spans, so croniter would not remove this arithmetic; the few lines below are
held to a brute-force walk over every minute by tests/core/test_schedule.py.
Parsing and checking what users type is ``idmd.protocol.schedule``'s job;
timers and the engine are ``idmd.engine.schedule_runner``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = 24 * 60
WEEK = 7 * DAY
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Span = tuple[int, int]  # [start, stop) in minutes of the week, 0 <= start < stop <= WEEK


@dataclass(frozen=True)
class Window:
    """``days`` (0 is Monday) from ``start`` to ``stop`` (minutes of the day; ``stop`` may be
    1440, the end of the day; a ``stop`` not after ``start`` ends on the next day)."""

    days: tuple[int, ...]
    start: int
    stop: int

    def spans(self) -> list[Span]:
        length = self.stop - self.start if self.stop > self.start else DAY - self.start + self.stop
        out: list[Span] = []
        for day in sorted(set(self.days)):
            begin = day * DAY + self.start
            end = begin + length
            if end <= WEEK:
                out.append((begin, end))
            else:  # Sunday night into Monday morning
                out.extend(((begin, WEEK), (0, end - WEEK)))
        return out


@dataclass(frozen=True)
class LimitWindow:
    """A global speed limit (bytes per second, 0: none) while ``window`` is open."""

    window: Window
    limit: int


def minute_of_week(at: datetime) -> int:
    return at.weekday() * DAY + at.hour * 60 + at.minute


def _inside(spans: Sequence[Span], minute: int) -> bool:
    return any(a <= minute < b for a, b in spans)


def _all_spans(windows: Sequence[Window]) -> list[Span]:
    return [span for window in windows for span in window.spans()]


def in_windows(windows: Sequence[Window], at: datetime) -> bool:
    """Whether ``at`` falls in one of ``windows``; no windows at all: always."""
    return not windows or _inside(_all_spans(windows), minute_of_week(at))


def _boundaries(spans: Sequence[Span]) -> list[int]:
    return sorted({edge % WEEK for span in spans for edge in span})


def _next_where(
    spans: Sequence[Span], at: datetime, changed: Callable[[int], bool]
) -> datetime | None:
    """The first boundary minute after ``at`` where ``changed(minute)`` holds."""
    now = minute_of_week(at)
    ahead = sorted(((edge - now) % WEEK) or WEEK for edge in _boundaries(spans))
    base = at.replace(second=0, microsecond=0)
    for delta in ahead:
        if changed((now + delta) % WEEK):
            return base + timedelta(minutes=delta)
    return None


def next_change(windows: Sequence[Window], at: datetime) -> datetime | None:
    """When ``in_windows`` next gives another answer than at ``at`` (None: never)."""
    if not windows:
        return None
    spans = _all_spans(windows)
    state = _inside(spans, minute_of_week(at))
    return _next_where(spans, at, lambda m: _inside(spans, m) != state)


def next_opening(windows: Sequence[Window], at: datetime) -> datetime | None:
    """The first minute after ``at`` at which the windows go from closed to open (None: never)."""
    if not windows:
        return None
    spans = _all_spans(windows)
    return _next_where(
        spans, at, lambda m: _inside(spans, m) and not _inside(spans, (m - 1) % WEEK)
    )


def current_limit(limits: Sequence[LimitWindow], at: datetime) -> int | None:
    """The limit of the window ``at`` falls in, or None outside every window."""
    minute = minute_of_week(at)
    for item in limits:
        if _inside(item.window.spans(), minute):
            return item.limit
    return None


def next_limit_change(limits: Sequence[LimitWindow], at: datetime) -> datetime | None:
    """When ``current_limit`` next gives another answer than at ``at`` (None: never)."""
    spans = _all_spans([item.window for item in limits])
    if not spans:
        return None
    state = current_limit(limits, at)
    minutes = {m: _limit_at(limits, m) for m in _boundaries(spans)}
    return _next_where(spans, at, lambda m: minutes[m] != state)


def _limit_at(limits: Sequence[LimitWindow], minute: int) -> int | None:
    return next((item.limit for item in limits if _inside(item.window.spans(), minute)), None)


def overlap(windows: Sequence[Window]) -> tuple[int, int] | None:
    """The indices of the first two windows that share a minute, or None."""
    spans = [w.spans() for w in windows]
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            if any(a < d and c < b for a, b in spans[i] for c, d in spans[j]):
                return i, j
    return None


@dataclass(frozen=True)
class QueuePlan:
    """When a queue may start jobs: inside its windows (none: always), not before
    ``start_at``, and not while held (``held_at``: stopped by hand or because it ran out of
    jobs) until the next opening of a window or ``start_at`` after the hold began."""

    windows: tuple[Window, ...] = ()
    start_at: datetime | None = None
    held_at: datetime | None = None

    def hold_ends(self) -> datetime | None:
        """When the hold lifts by itself (None: not held, or only by hand)."""
        if self.held_at is None:
            return None
        ends = [
            t
            for t in (next_opening(self.windows, self.held_at), self.start_at)
            if t is not None and t > self.held_at
        ]
        return min(ends, default=None)

    def held(self, at: datetime) -> bool:
        if self.held_at is None:
            return False
        ends = self.hold_ends()
        return ends is None or at < ends

    def is_open(self, at: datetime) -> bool:
        if self.start_at is not None and at < self.start_at:
            return False
        return not self.held(at) and in_windows(self.windows, at)

    def next_change(self, at: datetime) -> datetime | None:
        """The next time ``is_open`` may give another answer (None: never by itself)."""
        times = [next_change(self.windows, at)]
        if self.start_at is not None and at < self.start_at:
            times.append(self.start_at)
        if self.held(at):
            times.append(self.hold_ends())
        return min((t for t in times if t is not None), default=None)
