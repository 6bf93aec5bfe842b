"""Ended jobs' records leave the fleet's bucket, so that it does not grow for ever.

A removed job's record goes at once (``Worker`` on this node's ``job.removed``;
``Control`` for a job no node has). An ended record (completed, failed,
cancelled) stays a while: through it any node answers ``jobs.get`` for a job
another node ran, and a late redelivery of its message is seen as done (one
whose record is gone is dropped all the same). ``[fleet] keep_ended`` says how
many: after this node ends jobs, a sweep purges the oldest ended records beyond
that count. Oldest by the bucket's revision, which is the order they ended in:
nothing writes a record once it has ended. Sweeps run at most every ``GAP``
seconds per node, whatever the pace of the ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from idmd.fleet import record as rec
from idmd.fleet.ledger import Ledger
from idmd.fleet.link import NATS_ERRORS, Link

log = logging.getLogger(__name__)
GAP = 2.0  # seconds between two sweeps of this node


class Sweep:
    def __init__(self, link: Link, ledger: Ledger, keep: Callable[[], int]) -> None:
        self._link = link
        self._ledger = ledger
        self._keep = keep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="fleet-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def wake(self) -> None:
        """A job ended here: sweep soon."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            await self._link.connected.wait()
            self._wake.clear()
            try:
                purged = await self.sweep()
                if purged:
                    log.info("fleet: %d ended jobs' records purged", purged)
            except asyncio.CancelledError:
                raise
            except NATS_ERRORS as exc:  # the server is away or slow: again after the gap
                log.info("fleet: cannot sweep ended records yet: %s", exc)
                self._wake.set()
            except Exception:  # a bug: logged, and the next end sweeps again
                log.exception("fleet: the sweep of ended records failed")
            await asyncio.sleep(GAP)

    async def sweep(self) -> int:
        """Purge the ended records beyond the newest ``keep_ended``; how many went."""
        ended = sorted(
            (revision, str(record["id"]))
            for record, revision in await self._ledger.entries()
            if record.get("status") in rec.ENDED
        )
        old = ended[: max(0, len(ended) - self._keep())]
        for _, job_id in old:
            await self._ledger.purge(job_id)
        return len(old)
