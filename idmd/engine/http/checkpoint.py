"""Making progress durable: a checkpoint is stored only after the bytes it counts are on disk.

Once a second the segments are copied, the part file is fdatasync'ed (in a
thread), and only then is the copy handed to the Store, so after a crash the
checkpoint is never ahead of the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from idmd.engine.http.partfile import PartFile
from idmd.engine.runner import JobContext, JobError

INTERVAL = 1.0  # seconds between checkpoints: the most a crash can cost to fetch again


class Checkpointer:
    def __init__(
        self, ctx: JobContext, part: PartFile, snapshot: Callable[[], list[list[int]]]
    ) -> None:
        self._ctx = ctx
        self._part = part
        self._snapshot = snapshot
        self._task: asyncio.Task[None] | None = None
        self._sync: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self, lazily: bool = False) -> None:
        """Tick every INTERVAL from now on. ``lazily``: no task until the first tick is due, so
        a download over by then (a small file) costs a timer, not a task."""
        if self._task is not None:
            return
        if lazily:
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(INTERVAL, self._begin)
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._task = asyncio.create_task(self._run(first_wait=INTERVAL))

    def _begin(self) -> None:
        self._timer = None
        if self._task is None:
            self._task = asyncio.create_task(self._run(first_wait=0.0))

    async def _run(self, first_wait: float) -> None:
        wait = first_wait
        while True:
            await asyncio.sleep(wait)
            wait = INTERVAL
            rows = self._snapshot()  # taken before the sync: never ahead of the disk
            self._sync = asyncio.create_task(asyncio.to_thread(self._part.sync))
            await asyncio.shield(self._sync)
            self._sync = None
            self._ctx.checkpoint(rows)

    async def stop(self, complete: bool) -> None:
        """Stop the ticks (waiting for a sync in flight); a last checkpoint unless ``complete``."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._sync is not None:
            await asyncio.wait([self._sync])  # the fd must outlive the thread that syncs it
        if complete:
            return  # the finisher syncs off the event loop before the rename
        rows = self._snapshot()
        try:
            self._part.sync()
        except JobError:
            return  # nothing durable to claim
        self._ctx.checkpoint(rows)
