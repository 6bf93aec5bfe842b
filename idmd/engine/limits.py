"""Speed limits and connection caps shared by the running jobs.

``RateLimiter`` sleeps a connection as long as the global and the job's token
buckets say (``idmd.core.tokenbucket``); ``HostSlots`` caps the connections
to one host across every job.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from idmd.core.tokenbucket import TokenBucket

RECHECK = 0.2  # seconds between looks at the limits while waiting on them


class RateLimiter:
    """A job's view of the limits: its own bucket plus the global one."""

    def __init__(self, global_bucket: TokenBucket, rate: int = 0) -> None:
        self._global = global_bucket
        self._own = TokenBucket(rate, time.monotonic())

    def set_rate(self, rate: int) -> None:
        self._own.set_rate(rate, time.monotonic())

    async def consume(self, n: int) -> None:
        """Account ``n`` bytes just received; sleeps when over a limit."""
        if self._global.rate <= 0 and self._own.rate <= 0:
            return
        now = time.monotonic()
        deadline = now + max(self._global.take(n, now), self._own.take(n, now))
        rates = self._rates()
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, RECHECK))
            if self._rates() != rates:
                # A limit was raised or lifted meanwhile: the debt is owed at the new rates
                # (a wait worked out at the old rate would hold the download for seconds).
                rates, now = self._rates(), time.monotonic()
                deadline = now + max(self._global.owed(now), self._own.owed(now))

    def _rates(self) -> tuple[float, float]:
        return self._global.rate, self._own.rate


class HostSlots:
    """At most ``limit`` connections to one host; the first of a job waits, more only try."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used: dict[str, int] = defaultdict(int)
        self._freed = asyncio.Event()

    def try_acquire(self, host: str) -> bool:
        if self._used[host] >= self.limit:
            return False
        self._used[host] += 1
        return True

    async def acquire(self, host: str) -> None:
        while not self.try_acquire(host):
            self._freed.clear()
            await self._freed.wait()

    def release(self, host: str) -> None:
        if self._used.get(host, 0) > 0:
            self._used[host] -= 1
            if not self._used[host]:
                del self._used[host]
        self._freed.set()
