"""What a user can do to one job: pause, resume, cancel, retry, remove, update, decide a duplicate.

Each action asks the owners: the queue changes the status (before a run is
stopped, so a runner can tell a pause from a cancel), the run stops itself,
the store saves. ``Engine`` finds the jobs and calls these.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from idmd.engine import lifecycle, replan
from idmd.engine.jobs import Job
from idmd.engine.queue import JobQueue
from idmd.events import EventBus
from idmd.protocol.errors import NotAllowed
from idmd.protocol.events import EventType
from idmd.protocol.jobs import FINISHED, Status
from idmd.protocol.models import Job as JobDict
from idmd.protocol.models import JobError as ErrorInfo
from idmd.protocol.models import JobOptions
from idmd.protocol.options import public

log = logging.getLogger(__name__)


class JobActions:
    def __init__(
        self,
        queue: JobQueue,
        store: Any,
        bus: EventBus,
        download_dir: Callable[[], Path],
        schedule: Callable[[], None],
    ) -> None:
        self._queue = queue
        self._store = store
        self._bus = bus
        self._download_dir = download_dir  # the daemon's folder now (a config reload changes it)
        self._schedule = schedule

    async def pause(self, job: Job) -> JobDict:
        if job.status in (Status.DOWNLOADING, Status.QUEUED):
            self._queue.set_status(job, Status.PAUSED)
            await self._stop_run(job)
        elif job.status != Status.PAUSED:
            raise NotAllowed(f"a {job.status} job cannot be paused", data={"id": job.id})
        return job.to_dict()

    async def requeue(self, job: Job) -> None:
        """A downloading job goes back to the queue (its queue's schedule closed): parts kept."""
        if job.status == Status.DOWNLOADING:
            self._queue.set_status(job, Status.QUEUED)
            await self._stop_run(job)

    def resume(self, job: Job) -> JobDict:
        if job.status == Status.PAUSED:
            self._queue.set_status(job, Status.QUEUED)
            self._schedule()
        elif job.status not in (Status.QUEUED, Status.DOWNLOADING):
            raise NotAllowed(
                f"a {job.status} job cannot be resumed (retry a failed one)", data={"id": job.id}
            )
        return job.to_dict()

    async def cancel(self, job: Job) -> JobDict:
        if job.status == Status.COMPLETED:
            raise NotAllowed("a completed job cannot be cancelled", data={"id": job.id})
        if job.status != Status.CANCELLED:
            self._queue.set_status(job, Status.CANCELLED)
            await self._stop_run(job)
            self._discard_partial(job)
        return job.to_dict()

    async def hand_over(self, job: Job, error: ErrorInfo) -> None:
        """A fleet's job another node took over: it ends here ``cancelled`` with ``error``, its
        part file kept (the other node goes on with it)."""
        if job.status not in FINISHED:
            self._queue.set_status(job, Status.CANCELLED, error)
            await self._stop_run(job)

    def retry(self, job: Job) -> JobDict:
        if job.status not in (Status.FAILED, Status.CANCELLED):
            raise NotAllowed(
                f"only failed or cancelled jobs can be retried, not {job.status}",
                data={"id": job.id},
            )
        self._queue.set_status(job, Status.QUEUED, None)
        self._schedule()
        return job.to_dict()

    async def remove(self, job: Job, delete_files: bool) -> None:
        if self._queue.run_of(job.id) is not None:
            self._queue.mark(
                job, Status.CANCELLED
            )  # the runner sees a cancel; no status event, the job goes
            await self._stop_run(job)
        if job.status != Status.COMPLETED:
            self._discard_partial(job)
        if (
            delete_files
            and job.status == Status.COMPLETED
            and job.path
            and not job.state.get("skipped")
        ):
            try:
                os.unlink(job.path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cannot delete %s: %s", job.path, exc)
        self._queue.drop(job.id)
        self._bus.emit(EventType.JOB_REMOVED, job.id, {"deleted_files": bool(delete_files)})

    def update(self, job: Job, clean: JobOptions) -> JobDict:
        """Apply a patch checked by ``idmd.protocol.options.check_patch``."""
        replan.check_policy(job, clean)
        changed: dict[str, Any] = {}
        if "filename" in clean:
            lifecycle.rename_part(job, clean["filename"])
            job.filename = changed["filename"] = clean["filename"]
        if "category" in clean and clean["category"] != job.category:
            note = replan.recategorise(job, clean["category"])
            changed["category"] = job.category
            self._bus.emit(EventType.JOB_LOG, job.id, {"level": "info", "message": note})
        replan.forget_proxy_password(job, clean)
        job.options.update(clean)
        changed["options"] = public(job.options)
        run = self._queue.run_of(job.id)
        if run is not None and "speed_limit" in clean:
            run.set_rate(clean["speed_limit"])
        self._queue.reprioritised(job)
        self._store.save_job(job.to_store())
        self._store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
        self._bus.emit(EventType.JOB_UPDATED, job.id, changed)
        self._schedule()
        return job.to_dict()

    def resolve_duplicate(self, job: Job, action: str) -> JobDict:
        if job.status != Status.WAITING:
            raise NotAllowed(f"job {job.id} is not waiting for a decision", data={"id": job.id})
        job.state["on_duplicate"] = action
        if action == "skip":
            self._bus.emit(
                EventType.JOB_LOG, job.id, {"level": "info", "message": "the file exists: skipped"}
            )
            if job.path:
                self._bus.emit(
                    EventType.JOB_UPDATED, job.id, lifecycle.mark_skipped(job, Path(job.path))
                )
            else:
                job.state["skipped"] = True
            self._store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
            self._queue.set_status(job, Status.COMPLETED)
        else:
            self._queue.set_status(job, Status.QUEUED)
            self._store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
            self._schedule()
        return job.to_dict()

    async def _stop_run(self, job: Job) -> None:
        run = self._queue.run_of(job.id)
        if run is not None:
            await run.stop()

    def _discard_partial(self, job: Job) -> None:
        had_bytes = lifecycle.discard_partial(job, self._download_dir())
        self._store.checkpoint(job.id, 0, [], {})
        if had_bytes:  # clients still show the old progress otherwise
            self._bus.emit(EventType.JOB_UPDATED, job.id, {"done": 0})
