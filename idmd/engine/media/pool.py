"""``WorkerPool``: one warm media worker kept ready, so a request does not pay a cold start.

A new worker spends its first second or two compiling yt-dlp's URL patterns
(docs/internals.md, "Media"); a spare started ahead of need does that while
nobody waits. At most one worker is ever idle: it is let go after
``IDLE_KEEP`` unused, and killed when the engine stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from idmd.engine.media.process import Spawned

log = logging.getLogger(__name__)

IDLE_KEEP = 900.0  # seconds an unused warm worker is kept (it holds about 90 MB)


class WorkerPool:
    def __init__(
        self, spawn: Callable[[], Awaitable[Spawned]] = Spawned.start, idle_keep: float = IDLE_KEEP
    ) -> None:
        self._spawn = spawn
        self.idle_keep = idle_keep
        self._idle: Spawned | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._refill: asyncio.Task[None] | None = None
        self._reaping: set[asyncio.Task[None]] = set()
        self._lent: set[Spawned] = (
            set()
        )  # taken by probes, expected back: no spare is needed meanwhile
        self._closed = False
        self.spawned = 0  # workers started so far (the daemon log and the tests read it)

    @property
    def idle(self) -> Spawned | None:
        """The worker waiting for a request, if any (alive)."""
        if self._idle is not None and not self._idle.alive:
            self._idle = None
        return self._idle

    async def take(self, comes_back: bool) -> Spawned:
        """The idle worker, else a new one. ``comes_back``: it is handed back after (a probe).

        A worker that will not come back is replaced at once, so the next
        request finds a warm one again.
        """
        if self._refill is not None and not self._refill.done():
            await asyncio.shield(
                self._refill
            )  # a spare is being started: a few ms, and it may be warm already
        worker = self.idle
        self._idle = None
        self._cancel_expiry()
        if worker is None:
            worker = await self._start()
        if comes_back:
            self._lent.add(worker)
        else:
            self.fill()
        return worker

    def give_back(self, worker: Spawned) -> bool:
        """Keep ``worker`` as the idle one; False when it is not wanted (the caller lets it go)."""
        self._lent.discard(worker)
        if self._closed or not worker.alive or self.idle is not None:
            return False
        self._idle = worker
        self._arm_expiry()
        return True

    def lost(self, worker: Spawned) -> None:
        """A worker taken with ``comes_back`` will not come back (it failed or was stopped)."""
        if worker in self._lent:
            self._lent.discard(worker)
            self.fill()

    def fill(self) -> None:
        """Start a spare in the background unless one is idle, starting, or about to come back."""
        if self._closed or self.idle is not None or self._lent:
            return
        if self._refill is not None and not self._refill.done():
            return
        self._refill = asyncio.create_task(self._start_spare(), name="media-spare")

    async def close(self) -> None:
        """The engine stops: no more spares, the idle worker is killed."""
        self._closed = True
        self._cancel_expiry()
        if self._refill is not None:
            # Awaited, not cancelled: a spawn cancelled halfway could leave a process behind.
            # It takes milliseconds, and give_back() refuses the spare now, so it is reaped.
            await asyncio.gather(self._refill, return_exceptions=True)
        idle, self._idle = self._idle, None
        if idle is not None:
            await idle.kill()
        await asyncio.gather(*self._reaping, return_exceptions=True)

    async def _start(self) -> Spawned:
        worker = await self._spawn()
        self.spawned += 1
        return worker

    async def _start_spare(self) -> None:
        try:
            worker = await self._start()
        except OSError as exc:  # no python, no fork: requests start their own and report it
            log.warning("cannot start a spare media worker: %s", exc)
            return
        if not self.give_back(worker):
            self._reap(worker)

    def _arm_expiry(self) -> None:
        self._cancel_expiry()
        self._expiry = asyncio.get_running_loop().call_later(self.idle_keep, self._expire)

    def _cancel_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _expire(self) -> None:
        self._expiry = None
        idle, self._idle = self._idle, None
        if idle is not None:
            self._reap(idle)

    def _reap(self, worker: Spawned) -> None:
        task = asyncio.create_task(worker.kill())
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)
