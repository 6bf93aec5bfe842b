"""This node's share of the fleet's queue: pull jobs while slots are free, run them, end them.

Each delivered message names a job; the node judges the job's record
(``idmd.fleet.record``), claims it with compare-and-set and gives it to its
engine (``Engine.adopt``), resuming from the record's checkpoint when the
part file is there (a shared folder) and starting over, saying so, when it is
not. While the job runs the node heartbeats its message (``in_progress``) and
copies each checkpoint into the record; when the job ends it writes the end
and acks. A failed attempt goes back to the queue (``nak``) for any node until
``max_deliver`` deliveries; then the job fails for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nats.errors
from nats.aio.msg import Msg

from idmd.core.segments import from_lists
from idmd.engine.jobs import Job
from idmd.engine.runner import HandedOver
from idmd.fleet import record as rec
from idmd.fleet.ledger import Ledger, Transition
from idmd.fleet.link import NATS_ERRORS, Link
from idmd.fleet.nodes import TIMEOUT, Nodes
from idmd.fleet.tasks import cancel_and_wait
from idmd.protocol.events import Event, EventType
from idmd.protocol.jobs import FINISHED, Status
from idmd.protocol.schedule import DEFAULT_QUEUE

if TYPE_CHECKING:
    from idmd.engine import Engine

log = logging.getLogger(__name__)
FETCH_WAIT = 1.0  # seconds a pull waits for a job before looking at the slots again
BEAT = 1.0  # seconds between heartbeats and checkpoint copies of the jobs held
MARK = "fleet"  # key of job.state that says the job was taken from the fleet


@dataclass
class Held:
    """A job this node took from the fleet: its message and the last checkpoint not yet copied."""

    msg: Msg
    delivered: int
    checkpoint: dict[str, Any] | None = None
    sent: float = field(default=0.0)
    paused: bool = False  # as the record says (a pause here is written there)


class Worker:
    def __init__(
        self,
        link: Link,
        ledger: Ledger,
        nodes: Nodes,
        engine: Engine,
        ended: Callable[[], None] = lambda: None,
    ) -> None:
        """``ended``: called once the end of a job (or its removal) is in its record."""
        self._link = link
        self._ledger = ledger
        self._nodes = nodes
        self._engine = engine
        self._ended = ended
        self.held: dict[str, Held] = {}
        self._wake = asyncio.Event()
        # What the records are to follow, in order: (id, end, pause or resume), (id, None) removed.
        self._changes: asyncio.Queue[tuple[str, Status | None]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._remove_listener = engine.bus.listen(self._on_event)

    @property
    def node(self) -> str:
        return self._link.node

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._pull(), name="fleet-pull"),
            asyncio.create_task(self._beat(), name="fleet-beat"),
            asyncio.create_task(self._record_loop(), name="fleet-records"),
        ]

    async def stop(self) -> None:
        """After the engine stopped (checkpoints taken): every job held goes back to the fleet
        (when the server is away they come back after ``ack_wait``)."""
        self._remove_listener()
        await cancel_and_wait(self._tasks)
        if not self._link.connected.is_set():
            return
        for job_id in list(self.held):
            await self._give_back(job_id, None, delay=None)

    def free_slots(self) -> int:
        """How many jobs to pull: none while this node's schedule has its default queue stopped
        (by hand, or outside its windows), as a single daemon starts none then."""
        if not self._open():
            return 0
        queue = self._engine.queue
        return self._engine.config.max_active - len(queue.runs()) - queue.count(Status.QUEUED)

    def _open(self) -> bool:
        return self._engine.gate.may_start(DEFAULT_QUEUE)

    # -- taking jobs ------------------------------------------------------------------------------
    async def _pull(self) -> None:
        while True:
            await self._link.connected.wait()
            free = self.free_slots()
            if free <= 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), FETCH_WAIT)
                except TimeoutError:
                    pass
                continue
            jobs = self._link.jobs
            if jobs is None:
                await asyncio.sleep(FETCH_WAIT)
                continue
            try:
                messages = await jobs.fetch(free, timeout=FETCH_WAIT)
            except nats.errors.TimeoutError:
                continue
            except asyncio.CancelledError:
                raise
            except NATS_ERRORS as exc:  # the server went away: wait for the link
                log.debug("fleet fetch: %s", exc)
                await asyncio.sleep(FETCH_WAIT)
                continue
            if not self._open():
                # Its schedule stopped the node during the pull: the jobs go to other nodes now
                # (one more delivery each), not wait here for the window to open.
                await asyncio.gather(*(msg.nak() for msg in messages), return_exceptions=True)
                continue
            for msg in messages:
                try:
                    await self._take(msg)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug or the server gone: one message, not the loop
                    log.exception("fleet: cannot take a job; it comes back after ack_wait")

    async def _take(self, msg: Msg) -> None:
        job_id = msg.data.decode(errors="replace")
        delivered = msg.metadata.num_delivered or 1
        mine = self.held.get(job_id)
        if mine is not None:
            # Its own job again (the server restarted, or heartbeats were lost): keep running it
            # and answer for the new delivery from now on; a second run would share the part file.
            self.held[job_id] = Held(msg, delivered, mine.checkpoint, paused=mine.paused)
            return
        found = await self._ledger.read(job_id)
        if found is None:
            await msg.term()  # removed from the fleet: nothing to run
            return
        record, _ = found
        verdict = rec.judge(record, self.node, self._nodes.alive(str(record.get("owner"))))
        if verdict is rec.Verdict.ENDED:
            await msg.ack()
            return
        if verdict is rec.Verdict.BUSY:
            await msg.nak(delay=TIMEOUT)  # its owner is alive: ask again later
            return
        claimed = await self._ledger.change(
            job_id,
            lambda r: (
                rec.claim(r, self.node)
                if rec.judge(r, self.node, self._nodes.alive(str(r.get("owner"))))
                is rec.Verdict.RUN
                else None
            ),
        )
        if claimed is None:
            await msg.nak(delay=TIMEOUT)
            return
        job, note = _job_from(claimed, self.node, delivered, self._engine.config.fleet_max_deliver)
        self.held[job_id] = Held(msg, delivered, paused=job.status == Status.PAUSED)
        self._engine.adopt(job)
        for line in note:
            log.info("job %s: %s", job_id, line)
            self._engine.bus.emit(EventType.JOB_LOG, job_id, {"level": "info", "message": line})

    # -- while running ----------------------------------------------------------------------------
    def on_checkpoint(
        self, job_id: str, done: int, segments: list[list[int]], state: dict[str, Any]
    ) -> None:
        held = self.held.get(job_id)
        if held is not None:
            held.checkpoint = {
                "done": done,
                "segments": [list(s) for s in segments],
                "state": {k: v for k, v in state.items() if k != MARK},
            }

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(BEAT)
            if not self._link.connected.is_set():
                continue
            for job_id, held in list(self.held.items()):
                try:
                    await held.msg.in_progress()
                    if not await self._still_held(job_id, held):
                        await self._lost(job_id)
                except asyncio.CancelledError:
                    raise
                except NATS_ERRORS as exc:  # NATS away: the next beat tries again
                    log.debug("fleet beat for %s: %s", job_id, exc)

    async def _still_held(self, job_id: str, held: Held) -> bool:
        """The record still names this node: its latest checkpoint copied in (compare-and-set),
        or without one read (a paused or stalled job is taken over all the same)."""
        if held.checkpoint is None:
            found = await self._ledger.read(job_id)
            return rec.holds(found[0] if found else None, self.node)
        update = self._update(job_id, held)
        held.checkpoint = None
        return await self._ledger.change(job_id, self._progress(update)) is not None

    def _progress(self, update: dict[str, Any]) -> Transition:
        return lambda r: rec.progress(r, self.node, update)

    def _update(self, job_id: str, held: Held) -> dict[str, Any]:
        """The record's fields from the job as it is now and its last durable checkpoint."""
        job = self._engine.queue.get(job_id)
        update: dict[str, Any] = dict(held.checkpoint or {})
        if job is not None:
            update.update(
                filename=job.filename, path=job.path, size=job.size, kind=job.kind, url=job.url
            )
        return update

    async def fence(self, job_id: str) -> None:
        """Before a held job's file takes its final name: the record must still name this node
        (``rec.fence``, compare-and-set). If not, ``HandedOver``: the run stops short of the
        rename, the part file stays for the node that has the job, and the job ends here
        cancelled, never completed. While the fleet cannot be asked, the finished bytes wait."""
        if job_id not in self.held:
            return  # not the fleet's (any more): the engine's own
        seen: list[rec.Record] = []

        def check(record: rec.Record) -> rec.Record | None:
            seen[:] = [record]
            return rec.fence(record, self.node)

        waited = False
        while True:
            try:
                if await self._ledger.change(job_id, check) is not None:
                    return
                break
            except NATS_ERRORS as exc:
                if not waited:
                    waited = True
                    self._say(
                        job_id,
                        "info",
                        "every byte is in; the fleet cannot be reached to confirm the job is "
                        f"still this node's, so it waits for the fleet ({type(exc).__name__})",
                    )
                await self._link.connected.wait()
                await asyncio.sleep(BEAT)
        raise HandedOver(self._let_go(job_id, seen[0] if seen else None))

    async def _lost(self, job_id: str) -> None:
        """Another node took the job (this one was taken for dead), or it ended or went from the
        fleet meanwhile: it stops here, cancelled, its part file kept for the other node."""
        try:
            found = await self._ledger.read(job_id)
        except NATS_ERRORS:
            found = None
        message = self._let_go(job_id, found[0] if found else None)
        job = self._engine.queue.get(job_id)
        if job is not None:
            await self._engine.actions.hand_over(job, HandedOver(message).error)

    def _let_go(self, job_id: str, record: rec.Record | None) -> str:
        """The job is not this node's any more: no longer held nor the fleet's here (a retry
        here runs it as this node's own), and its log says why."""
        self.held.pop(job_id, None)
        job = self._engine.queue.get(job_id)
        if job is not None:
            job.state.pop(MARK, None)
        message = rec.lost(record, self.node)
        self._say(job_id, "warning", message)
        return message

    def _say(self, job_id: str, level: str, message: str) -> None:
        log.log(logging.getLevelName(level.upper()), "fleet: job %s: %s", job_id, message)
        self._engine.bus.emit(EventType.JOB_LOG, job_id, {"level": level, "message": message})

    # -- ends -------------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if event.type is EventType.JOB_STATUS and event.node in (None, self.node):
            status = Status(event.data["status"])
            if status in FINISHED or status == Status.PAUSED:
                # After this turn: the run leaves the queue's running set just after its status.
                asyncio.get_running_loop().call_soon(self._wake.set)
            held = self.held.get(str(event.job))
            if held is not None and status in FINISHED:
                self._changes.put_nowait((str(event.job), status))
            elif held is not None and held.paused != (status == Status.PAUSED):
                held.paused = status == Status.PAUSED
                self._changes.put_nowait((str(event.job), status))  # paused or resumed: recorded
        elif event.type is EventType.JOB_REMOVED and event.node in (None, self.node):
            self._changes.put_nowait((str(event.job), None))  # removed here: from the fleet too

    async def _record_loop(self) -> None:
        """The record follows the held jobs' ends, pauses and resumptions, in their order."""
        while True:
            job_id, status = await self._changes.get()
            while True:
                try:
                    if status is None:
                        await self._removed(job_id)
                    elif status in FINISHED:
                        await self._end(job_id, status)
                    else:
                        await self._pause(job_id, status == Status.PAUSED)
                    break
                except asyncio.CancelledError:
                    raise
                except NATS_ERRORS as exc:  # NATS away: the end is written once it is back
                    log.info("fleet: cannot record the end of %s yet: %s", job_id, exc)
                    await self._link.connected.wait()
                    await asyncio.sleep(BEAT)

    async def _pause(self, job_id: str, paused: bool) -> None:
        """Paused or resumed here: the record says so, so a node that takes the job over (this
        one died or stopped) keeps it paused."""
        if job_id in self.held:
            await self._ledger.change(job_id, lambda r: rec.pause(r, self.node, paused))

    async def _removed(self, job_id: str) -> None:
        """Removed on this node: ended (cancelled) if held, then its record goes, unless another
        node holds the job now (this node removed an old attempt from its history)."""
        await self._end(job_id, Status.CANCELLED)
        found = await self._ledger.read(job_id)
        if found is not None and found[0].get("owner") in (None, self.node):
            await self._ledger.purge(job_id)
            self._ended()

    async def _end(self, job_id: str, status: Status) -> None:
        held = self.held.get(job_id)
        if held is None:
            return
        job = self._engine.queue.get(job_id)
        if job is not None:
            # From now on the job here is history: a retry on this node runs it here, and a
            # restart keeps it (only jobs the fleet still has are left to the fleet).
            job.state.pop(MARK, None)
            self._engine.store.checkpoint(job_id, job.done, job.segment_lists(), job.state)
        error: dict[str, Any] | None = dict(job.error) if job is not None and job.error else None
        update = self._update(job_id, held)
        if job is not None and status == Status.COMPLETED:
            update.update(done=job.done, segments=job.segment_lists())
        limit = self._engine.config.fleet_max_deliver
        if status == Status.FAILED and held.delivered < limit:
            await self._give_back(job_id, error, delay=BEAT)
            self._engine.bus.emit(
                EventType.JOB_LOG,
                job_id,
                {
                    "level": "info",
                    "message": f"attempt {held.delivered} of {limit} failed:"
                    " handed back to the fleet",
                },
            )
            return
        if status == Status.FAILED and error is not None:
            error = {
                **error,
                "message": f"{error['message']} (after {held.delivered} attempts in the fleet)",
            }
        self.held.pop(job_id, None)
        ended = await self._ledger.change(
            job_id, lambda r: rec.finish(r, self.node, str(status), error, update)
        )
        if ended is None:
            # Not ours any more: the node that holds the job now acks it. Acking here would
            # take the message from under it.
            log.warning("fleet: job %s %s here but another node holds it", job_id, status)
            return
        await (held.msg.term() if status == Status.FAILED else held.msg.ack())
        self._ended()

    async def _give_back(self, job_id: str, error: Any, delay: float | None) -> None:
        held = self.held.pop(job_id, None)
        if held is None:
            return
        update = self._update(job_id, held)
        try:
            await self._ledger.change(job_id, lambda r: rec.release(r, self.node, error, update))
            await held.msg.nak(delay=delay)
        except NATS_ERRORS as exc:  # NATS away: the message comes back after ack_wait anyway
            log.info("fleet: job %s given back without a word to the server: %s", job_id, exc)


def _job_from(record: rec.Record, node: str, delivered: int, limit: int) -> tuple[Job, list[str]]:
    """The engine's Job for a claimed record, and what its log says about where it resumes."""
    state = dict(record.get("state") or {})
    segments = record.get("segments") or []
    done = int(record.get("done") or 0)
    previous = record.get("previous")
    note = [f"taken by node {node} from the fleet (delivery {delivered} of {limit})"]
    part = (state.get("http") or {}).get("part")
    path = record.get("path")
    if segments and done > 0 and previous not in (None, node):
        if part and Path(part).exists():
            note.append(
                f"resuming node {previous}'s download at {done} bytes from {Path(part).name} "
                "(the download folder is shared)"
            )
        else:
            note.append(
                f"node {previous}'s partial download is not here (the download folder is not "
                f"shared): starting over, {done} bytes fetched again"
            )
            state, segments, done, path = {}, [], 0, None
    state[MARK] = {"delivery": delivered}
    if record.get("paused"):
        note.append("paused on the node that had it: it stays paused until resumed")
    job = Job(
        id=str(record["id"]),
        url=str(record["url"]),
        options=dict(record.get("options") or {}),  # type: ignore[arg-type]
        kind=str(record.get("kind") or "http"),
        filename=str(record.get("filename") or ""),
        path=path,
        size=record.get("size"),
        done=done,
        created_at=str(record.get("created_at")),
        playlist=record.get("playlist"),
        segments=from_lists(segments),
        state=state,
        status=Status.PAUSED if record.get("paused") else Status.QUEUED,
    )
    job.refresh_done()
    return job, note
