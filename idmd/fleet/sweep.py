"""Ended jobs' records leave the fleet's bucket, so that it does not grow for ever.

A removed job's record goes at once (``Worker`` on this node's ``job.removed``;
``Control`` for a job no node has). An ended record (completed, failed,
cancelled) stays a while: through it any node answers ``jobs.get`` for a job
another node ran, and a late redelivery of its message is seen as done (one
whose record is gone is dropped all the same). ``[fleet] keep_ended`` says how
many: after this node ends jobs, a sweep purges the oldest ended records beyond
that count. Oldest by the bucket's revision, which is the order they ended in:
nothing writes a record once it has ended. ``[fleet] keep_ended_days`` also
purges those ended longer ago than that (by the time the bucket wrote the end),
however few they are: records carry options, cookies and passwords, which
should not stay for ever. With it set, an idle node sweeps now and then too
(``IDLE``), since nothing ends to wake it. Sweeps run at most every ``GAP``
seconds per node, whatever the pace of the ends. ``to_purge`` decides, pure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from idmd.fleet import record as rec
from idmd.fleet.ledger import Entry, Ledger
from idmd.fleet.link import NATS_ERRORS, Link
from idmd.fleet.tasks import cancel_and_wait

log = logging.getLogger(__name__)
GAP = 2.0  # seconds between two sweeps of this node
IDLE = 3600.0  # seconds between sweeps when no job ends here (only with an age limit)
DAY = 86400.0


def to_purge(entries: Iterable[Entry], keep: int, keep_days: float, now: float) -> list[str]:
    """The ids of the ended records to purge, oldest first: those beyond the newest ``keep``,
    and with ``keep_days`` (0: no limit) those written more than that many days before ``now``."""
    ended = sorted(
        (entry.revision, entry.written, str(entry.record["id"]))
        for entry in entries
        if entry.record.get("status") in rec.ENDED
    )
    beyond = len(ended) - keep
    return [
        job_id
        for index, (_, written, job_id) in enumerate(ended)
        if index < beyond or (keep_days > 0 and now - written > keep_days * DAY)
    ]


class Sweep:
    def __init__(
        self,
        link: Link,
        ledger: Ledger,
        keep: Callable[[], int],
        keep_days: Callable[[], float] = lambda: 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._link = link
        self._ledger = ledger
        self._keep = keep
        self._keep_days = keep_days
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="fleet-sweep")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

    def wake(self) -> None:
        """A job ended here: sweep soon."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            idle = IDLE if self._keep_days() > 0 else None  # no age limit: only ends matter
            try:
                await asyncio.wait_for(self._wake.wait(), idle)
            except TimeoutError:
                pass
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
        """Purge the ended records ``to_purge`` names; how many went."""
        old = to_purge(await self._ledger.entries(), self._keep(), self._keep_days(), self._clock())
        for job_id in old:
            await self._ledger.purge(job_id)
        return len(old)
