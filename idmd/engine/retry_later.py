"""Retry later: a job that failed on the network is tried again on its own, after a growing wait.

A connection's own retries cover a hiccup of seconds; this covers the outage of
minutes or hours (the Wi-Fi gone, the server down for maintenance, a 503 or 429
storm). Which failures qualify and how long to wait are plain functions
(``transient``; ``idmd.core.backoff.backoff_delay``). ``RetryLater`` owns the
waiting: each waiting job's time is ``job.retry_at`` (ISO 8601, stored with the job,
so a restart keeps it and a time that passed while the daemon was down fires at
start), and one task sleeps until the earliest. The clock is handed in: tests move
it and call ``fire``. It learns of failures from the event bus, so the queue and
the runs know nothing of it.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from idmd.config import Config
from idmd.core.backoff import backoff_delay
from idmd.engine.http.errors import RETRIABLE_STATUS
from idmd.engine.jobs import Job
from idmd.engine.queue import JobQueue
from idmd.events import EventBus
from idmd.protocol.errors import NoSuchJob
from idmd.protocol.events import Event, EventType
from idmd.protocol.jobs import Status

MAX_WAIT = 6 * 3600.0  # the longest wait between two automatic attempts
NETWORK_CODES = frozenset({"network", "stalled"})  # refused, reset, DNS, timeouts (HTTP and media)
_HTTP_STATUS = re.compile(r"^HTTP (\d{3})\b")


def transient(error: Any) -> bool:
    """Whether a job's error (``{code, message}``) is one time may cure: the network, a
    timeout, an overloaded server (5xx, 429, 408). Not 404, 401/403, a checksum, a full disk."""
    if not isinstance(error, dict):
        return False
    code = error.get("code")
    if code in NETWORK_CODES:
        return True
    if code == "http":
        match = _HTTP_STATUS.match(str(error.get("message") or ""))
        return match is not None and int(match.group(1)) in RETRIABLE_STATUS
    return False


def to_iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_iso(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)  # 3.11 reads the Z
    except (TypeError, ValueError, AttributeError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class RetryLater:
    def __init__(
        self,
        queue: JobQueue,
        store: Any,
        bus: EventBus,
        config: Callable[[], Config],
        schedule: Callable[[], None],
        load: Callable[[str], Awaitable[Job]],
        clock: Callable[[], float] = time.time,
        rand: random.Random | None = None,
    ) -> None:
        """``load``: a job from the history back into the queue's table (the queue keeps only
        the latest finished jobs in memory; a failed one waiting may have left it)."""
        self._queue = queue
        self._load = load
        self._store = store
        self._bus = bus
        self._config = config
        self._schedule = schedule
        self._clock = clock
        self._rand = rand
        self._due: dict[str, float] = {}  # job id -> when (the clock's seconds)
        self._requeued: set[str] = set()  # jobs this owner queued: their count goes on
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Future[None]] = set()  # plans waiting for the history
        bus.listen(self._on_event)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, waiting: Iterable[Job]) -> None:
        """Take over the failed jobs that were waiting when the daemon stopped; run the timer."""
        for job in waiting:
            when = from_iso(job.retry_at or "")
            if when is None or not self._config().auto_retry:
                self._clear(job)
            else:
                self._due[job.id] = when
        self._task = asyncio.create_task(self._run(), name="retry-later")

    async def stop(self) -> None:
        for task in [self._task, *self._pending]:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def apply(self, config: Config) -> None:
        """``auto_retry`` switched off: nothing waits any more (the jobs stay failed)."""
        if not config.auto_retry:
            for job_id in list(self._due):
                job = self._queue.get(job_id)
                if job is not None:
                    self._clear(job)
            self._due.clear()
        self._wake.set()

    # -- the timer ---------------------------------------------------------------------------
    def next_due(self) -> float | None:
        return min(self._due.values(), default=None)

    async def fire(self) -> list[str]:
        """Queue every job whose time has come; returns their ids."""
        now = self._clock()
        fired = []
        for job_id, when in sorted(self._due.items(), key=lambda item: item[1]):
            if when > now:
                continue
            del self._due[job_id]
            job = await self._find(job_id)
            if job is None or job.status != Status.FAILED:
                continue  # removed, or retried by hand meanwhile
            job.auto_retries += 1
            job.retry_at = None
            self._requeued.add(job.id)
            self._log(job, f"automatic retry {job.auto_retries} of {self._config().auto_retry_max}")
            self._queue.set_status(job, Status.QUEUED, None)  # saves the job with both fields
            fired.append(job_id)
        if fired:
            self._schedule()
        return fired

    async def _find(self, job_id: str) -> Job | None:
        job = self._queue.get(job_id)
        if job is not None:
            return job
        try:
            return await self._load(job_id)
        except NoSuchJob:
            return None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            await self.fire()
            due = self.next_due()
            delay = None if due is None else max(due - self._clock(), 0.0)
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass

    # -- what happens to jobs ----------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if event.type != EventType.JOB_STATUS or event.job is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        # After the emit: events this causes must not overtake the one being delivered.
        loop.call_soon(self._status_changed, event.job, str(event.data.get("status")))

    def _status_changed(self, job_id: str, status: str) -> None:
        job = self._queue.get(job_id)
        if job is None:
            self._due.pop(job_id, None)
            if status == Status.FAILED:  # already trimmed from memory: plan it from the history
                plan = asyncio.ensure_future(self._plan_stored(job_id))
                self._pending.add(plan)
                plan.add_done_callback(self._pending.discard)
            return
        if status == Status.FAILED:
            if job.status == Status.FAILED and job.id not in self._due:
                self._plan(job)
            return
        self._due.pop(job_id, None)
        if job.retry_at is not None:
            self._clear(job)
        requeued = job_id in self._requeued
        self._requeued.discard(job_id)
        if (
            status == Status.QUEUED and not requeued and job.auto_retries
        ):  # a person retried it: count again
            job.auto_retries = 0
            self._store.save_job(job.to_store())

    async def _plan_stored(self, job_id: str) -> None:
        job = await self._find(job_id)
        if job is not None and job.status == Status.FAILED and job.id not in self._due:
            self._plan(job)

    def _plan(self, job: Job) -> None:
        config = self._config()
        if not config.auto_retry or not transient(job.error):
            return
        attempt = job.auto_retries + 1
        if attempt > config.auto_retry_max:
            if config.auto_retry_max:
                self._log(job, f"no more automatic retries after {config.auto_retry_max}")
            return
        wait = backoff_delay(attempt, config.auto_retry_wait, MAX_WAIT, self._rand)
        when = float(
            math.ceil(self._clock() + wait)
        )  # whole seconds: the time shown is the time kept
        self._due[job.id] = when
        job.retry_at = to_iso(when)
        self._store.save_job(job.to_store())
        self._bus.emit(EventType.JOB_UPDATED, job.id, {"retry_at": job.retry_at})
        self._log(
            job,
            f"a network failure: automatic retry {attempt} of {config.auto_retry_max}"
            f" in {wait:.0f} s",
        )
        self._wake.set()

    def _clear(self, job: Job) -> None:
        if job.retry_at is None:
            return
        job.retry_at = None
        self._store.save_job(job.to_store())
        self._bus.emit(EventType.JOB_UPDATED, job.id, {"retry_at": None})

    def _log(self, job: Job, message: str) -> None:
        self._bus.emit(EventType.JOB_LOG, job.id, {"level": "info", "message": message})
