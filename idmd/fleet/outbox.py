"""New jobs into the fleet: a record in the bucket, then a message on the work queue.

``take`` is the engine's ``Handover.take``: while the fleet is reachable a new
job is published (in order, by one task) and the engine does not keep it;
while it is not, the job stays in this node's queue, marked, and when the
server is back the marked jobs that have not started yet are handed over. A
job whose publication fails goes back to this node's queue: none is lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from nats.js.errors import KeyWrongLastSequenceError

from idmd.engine.jobs import Job
from idmd.fleet.ledger import Ledger
from idmd.fleet.link import NATS_ERRORS, Link
from idmd.fleet.record import QUEUED, new_record
from idmd.fleet.tasks import cancel_and_wait
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status

if TYPE_CHECKING:
    from idmd.engine import Engine

log = logging.getLogger(__name__)
LATER = "fleet_later"  # job.state key: added while the fleet was unreachable


class Outbox:
    def __init__(self, link: Link, ledger: Ledger, engine: Engine) -> None:
        self._link = link
        self._ledger = ledger
        self._engine = engine
        self._pending: asyncio.Queue[Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._kept: set[str] = set()  # ids this node's store holds (added while unreachable)

    def start(self) -> None:
        self._task = asyncio.create_task(self._send_loop(), name="fleet-outbox")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        while (
            not self._pending.empty()
        ):  # not sent: this node keeps them (saved, so a restart has them)
            self._keep(self._pending.get_nowait())

    def take(self, job: Job) -> bool:
        if job.status == Status.PAUSED:
            return False  # added paused: it stays here until someone resumes it
        if not self._link.connected.is_set():
            job.state[LATER] = True
            return False
        self._pending.put_nowait(job)
        return True

    def hand_over_later_jobs(self) -> None:
        """The server is back: jobs added meanwhile that have not started go to the fleet."""
        engine = self._engine
        for job in engine.queue:
            if (
                job.state.get(LATER)
                and job.status == Status.QUEUED
                and engine.queue.run_of(job.id) is None
            ):
                engine.queue.drop(job.id)
                job.state.pop(LATER, None)
                self._kept.add(job.id)
                engine.bus.emit(
                    EventType.JOB_LOG,
                    job.id,
                    {"level": "info", "message": "the fleet is reachable again: handed to it"},
                )
                self._pending.put_nowait(job)

    async def _send_loop(self) -> None:
        while True:
            job = await self._pending.get()
            try:
                await self._send(job)
            except asyncio.CancelledError:
                self._keep(job)
                raise
            except NATS_ERRORS as exc:
                log.warning("fleet: job %s not handed over (%s): it runs here", job.id, exc)
                self._keep(job)

    async def _send(self, job: Job) -> None:
        link = self._link
        fields = {
            **job.to_store(),
            "options": dict(job.options),
        }  # with secrets: the taker needs them
        try:
            await self._ledger.create(new_record(fields, link.node))
        except KeyWrongLastSequenceError:
            # Made by an earlier try whose message may or may not have gone out: publish again
            # (the message id below makes a second copy a no-op), unless a node already runs it.
            found = await self._ledger.read(job.id)
            if found is not None and found[0].get("status") != QUEUED:
                log.info("fleet: job %s is in the fleet already", job.id)
                return
        assert link.js is not None
        await link.js.publish(
            link.names.jobs_subject, job.id.encode(), timeout=5, headers={"Nats-Msg-Id": job.id}
        )
        if job.id in self._kept:  # it had been kept here while unreachable: the fleet has it now
            self._kept.discard(job.id)
            await self._engine.store.delete_jobs([job.id])

    def _keep(self, job: Job) -> None:
        job.state[LATER] = True
        self._engine.adopt(job)
        self._engine.store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
