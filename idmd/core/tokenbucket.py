"""A token bucket with an explicit clock: how long to wait before sending n bytes.

Pure (the caller passes ``now``); ``idmd.engine.limits`` does the sleeping.
"""

from __future__ import annotations


class TokenBucket:
    """``rate`` bytes per second, bursts up to ``burst`` bytes; rate 0 means no limit."""

    def __init__(self, rate: float, now: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(rate / 4, 64 * 1024))
        self.tokens = self.burst
        self.stamp = now

    def set_rate(self, rate: float, now: float) -> None:
        self._refill(now)
        self.rate = float(rate)
        self.burst = max(self.rate / 4, 64 * 1024)
        self.tokens = min(self.tokens, self.burst)

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def owed(self, now: float) -> float:
        """Seconds until the bucket is out of debt at its current rate (0: none, or no limit)."""
        if self.rate <= 0:
            return 0.0
        self._refill(now)
        return max(0.0, -self.tokens / self.rate)

    def take(self, n: int, now: float) -> float:
        """Take ``n`` tokens (it may go into debt); returns seconds to wait before sending."""
        if self.rate <= 0:
            return 0.0
        self._refill(now)
        self.tokens -= n
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate
