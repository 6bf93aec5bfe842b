"""Speed over the last minute, one sample per second, for the details sparkline.

Pure: progress events arrive up to ten times a second; the latest in each
second wins, and seconds without an event repeat nothing (they read as 0).
"""

from __future__ import annotations

import math
from collections import OrderedDict

WINDOW = 60


class SpeedHistory:
    """The last ``WINDOW`` seconds of one job's speed."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._by_second: OrderedDict[int, float] = OrderedDict()
        self.last_at = 0.0

    def add(self, at: float, speed: float) -> None:
        second = math.floor(at)
        self._by_second[second] = float(speed)
        self._by_second.move_to_end(second)
        self.last_at = max(self.last_at, at)
        oldest = second - self.window
        while self._by_second and next(iter(self._by_second)) <= oldest:
            self._by_second.popitem(last=False)

    def series(self, now: float | None = None) -> list[float]:
        """``window`` values, oldest first, ending at ``now`` (default: the last sample)."""
        end = math.floor(self.last_at if now is None else now)
        return [
            self._by_second.get(second, 0.0) for second in range(end - self.window + 1, end + 1)
        ]
