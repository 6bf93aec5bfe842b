"""``JobQueue``: the one owner of the job table, the status machine and the running set.

As aria2's request-group manager owns its waiting and running groups, this
object alone adds and drops jobs, moves them through the transition table of
``idmd.protocol.jobs`` (saving and emitting each change), keeps the queued ones
in start order (``scheduler.StartOrder``) and the finished ones in memory up to
``keep_finished``. It never starts anything: ``Engine.schedule`` asks it which
jobs to start and registers their runs here.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from idmd.core.queueslots import QueueSlots
from idmd.engine.gate import split_group
from idmd.engine.jobs import Job, now_iso
from idmd.engine.scheduler import StartOrder
from idmd.events import EventBus
from idmd.protocol.errors import NotAllowed
from idmd.protocol.events import EventType
from idmd.protocol.jobs import FINISHED, Status, can_move
from idmd.protocol.models import JobError as ErrorInfo

RECENT_FINISHED = 200  # finished jobs kept in memory for snapshots and get()


class Running(Protocol):
    """A job's run as the queue and the engine see it (``idmd.engine.run.JobRun``)."""

    job: Job

    async def stop(self) -> None: ...

    def set_rate(self, rate: int) -> None: ...


class JobQueue:
    def __init__(self, store: Any, bus: EventBus, keep_finished: int = RECENT_FINISHED) -> None:
        self._store = store
        self._bus = bus
        self._keep = keep_finished
        self._jobs: dict[str, Job] = {}
        self._order: dict[str, int] = {}  # job id -> when it entered the table
        self._counter = itertools.count()
        self._start = StartOrder()
        self._finished: list[tuple[int, str]] = []  # (order, id) heap: the oldest is trimmed first
        self._counts: Counter[Status] = Counter()
        self._runs: dict[str, Running] = {}
        self._finishing: set[str] = set()  # runs past their last byte: no slot held (``finishing``)
        self.totals = {"completed": 0, "failed": 0}

    # -- the table ----------------------------------------------------------------------------
    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def count(self, status: Status) -> int:
        return self._counts[status]

    def put(self, job: Job) -> None:
        """A job enters the table (new, loaded at start, or read back from the history)."""
        self.drop(job.id)
        self._jobs[job.id] = job
        self._order[job.id] = next(self._counter)
        self._counts[job.status] += 1
        self._entered(job)

    def drop(self, job_id: str) -> None:
        """The job leaves memory (removed, or an old finished one trimmed)."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            return
        self._counts[job.status] -= 1
        self._start.discard(job_id)
        del self._order[job_id]

    # -- status -------------------------------------------------------------------------------
    def set_status(self, job: Job, status: Status, error: ErrorInfo | None = None) -> None:
        """Move ``job`` to ``status`` (NotAllowed if the table forbids it): saved, then emitted."""
        if job.status == status and job.error == error:
            return
        if job.status != status and not can_move(job.status, status):
            raise NotAllowed(
                f"a {job.status} job cannot become {status}", data={"status": str(job.status)}
            )
        self.mark(job, status)
        job.error = error
        changed: dict[str, Any] = {}
        if status == Status.DOWNLOADING and job.started_at is None:
            job.started_at = changed["started_at"] = now_iso()
        if status in FINISHED:
            job.finished_at = changed["finished_at"] = now_iso()
            if status in (Status.COMPLETED, Status.FAILED):
                self.totals[str(status)] += 1
            self._trim_finished()
        elif job.finished_at is not None:
            job.finished_at = changed["finished_at"] = None
        if status != Status.DOWNLOADING:
            job.speed, job.eta, job.connections = 0.0, None, 0
        row = job.to_store()
        if status == Status.COMPLETED:
            # The last periodic checkpoint is up to a second old: store the segments whole.
            job.mark_complete()
            row.update(done=job.done, segments=job.segment_lists())
        self._store.save_job(row)
        # The times that changed with the status travel in the same event (one event, not a
        # job.status and a job.updated, for each of a small file's two changes).
        self._bus.emit(
            EventType.JOB_STATUS, job.id, {"status": str(status), "error": error, **changed}
        )

    def mark(self, job: Job, status: Status) -> None:
        """Change the status alone, without checks, saving or events (``set_status`` does those)."""
        if job.status == status:
            return
        if job.id in self._jobs:
            self._counts[job.status] -= 1
            self._counts[status] += 1
            self._start.discard(job.id)
        job.status = status
        if job.id in self._jobs:
            self._entered(job)

    def reprioritised(self, job: Job) -> None:
        """The job's priority or queue changed: a queued job moves to its new place."""
        if job.status == Status.QUEUED and job.id in self._jobs:
            self._entered(job)

    def _entered(self, job: Job) -> None:
        order = self._order[job.id]
        if job.status == Status.QUEUED:
            self._start.push(job.id, job.priority, job.created_at, order, job.start_group)
        elif job.status in FINISHED:
            heapq.heappush(self._finished, (order, job.id))

    def _trim_finished(self) -> None:
        finished = sum(self._counts[s] for s in FINISHED)
        while finished > self._keep and self._finished:
            order, job_id = heapq.heappop(self._finished)
            job = self._jobs.get(job_id)
            if job is not None and self._order[job_id] == order and job.status in FINISHED:
                self.drop(job_id)
                finished -= 1
        if len(self._finished) > 2 * finished + 64:  # entries of removed or retried jobs
            self._finished = [
                (self._order[j.id], j.id) for j in self._jobs.values() if j.status in FINISHED
            ]
            heapq.heapify(self._finished)

    # -- running ------------------------------------------------------------------------------
    def next_to_start(
        self,
        max_active: int,
        may_start: Callable[[str], bool] | None = None,
        queue_caps: Mapping[str, int] | None = None,
    ) -> list[Job]:
        """The queued jobs to start now so that at most ``max_active`` run (they leave the queue);
        ``may_start(name)``: whether the named queue may start jobs now (None: every queue);
        ``queue_caps``: a named queue's own max_active (a queue absent has none)."""
        picked: list[Job] = []
        # The queues of the runs that hold a slot (a finishing job's slot is free).
        holding = [r.job.queue_name for i, r in self._runs.items() if i not in self._finishing]
        slots = QueueSlots(queue_caps or {}, holding)

        def allowed(group: str) -> bool:
            if not slots.room(split_group(group)[0]):
                return False  # passed over: its jobs stay queued, in order, for a free slot
            return may_start is None or may_start(group)

        while len(holding) + len(picked) < max_active:
            job_id = self._start.pop(allowed)
            if job_id is None:
                break
            job = self._jobs[job_id]
            slots.take(job.queue_name)
            picked.append(job)
        return picked

    def running(self, run: Running) -> None:
        self._runs[run.job.id] = run

    def is_finishing(self, job_id: str) -> bool:
        """Past its last byte, being synced and checked: nothing left to hold back."""
        return job_id in self._finishing

    def finishing(self, job_id: str) -> None:
        """The job's run has every byte: what is left (sync, checks, rename) holds no download
        slot, so the next queued job may start meanwhile. The run stays registered (stop, pause
        and cancel still reach it) until ``ended``."""
        if job_id in self._runs:
            self._finishing.add(job_id)

    def ended(self, run: Running) -> None:
        if self._runs.get(run.job.id) is run:
            del self._runs[run.job.id]
            self._finishing.discard(run.job.id)

    def run_of(self, job_id: str) -> Running | None:
        return self._runs.get(job_id)

    def runs(self) -> list[Running]:
        return list(self._runs.values())

    def running_jobs(self) -> list[Job]:
        return [run.job for run in self._runs.values()]
