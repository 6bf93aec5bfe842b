"""``jobs.import``: jobs from another machine's export become this daemon's, in one transaction.

Every entry was checked (idmd.protocol.transfer) before this runs. Finished
jobs become history rows as they were; unfinished ones become queued or paused
jobs without progress (their bytes are on the other machine). An entry whose id
this history already holds is skipped, so importing a file twice, or again after
a failure, adds nothing twice, and a round trip keeps the ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idmd.engine.jobs import Job, new_job_id, now_iso
from idmd.engine.queue import JobQueue
from idmd.events import EventBus
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status
from idmd.protocol.transfer import Imported


class JobImport:
    def __init__(
        self, queue: JobQueue, store: Any, bus: EventBus, schedule: Callable[[], None]
    ) -> None:
        self._queue = queue
        self._store = store
        self._bus = bus
        self._schedule = schedule

    async def run(self, entries: list[Imported]) -> dict[str, int]:
        """Store the new jobs (all or none); ``{imported, queued, paused, history, skipped}``."""
        given = [e["id"] for e in entries if "id" in e]
        taken = await self._store.existing_ids(given) if given else set()
        taken.update(job_id for job_id in given if job_id in self._queue)
        jobs: list[Job] = []
        for item in entries:
            job_id = item.get("id") or new_job_id()
            if job_id in taken:
                continue
            taken.add(job_id)
            jobs.append(_job(job_id, item))
        await self._store.insert_jobs([job.to_store() for job in jobs])
        counts = {
            "imported": len(jobs),
            "queued": 0,
            "paused": 0,
            "history": 0,
            "skipped": len(entries) - len(jobs),
        }
        for job in jobs:
            if job.status in (Status.QUEUED, Status.PAUSED):
                counts[str(job.status)] += 1
                self._queue.put(job)
                self._bus.emit(EventType.JOB_ADDED, job.id, dict(job.to_dict()))
            else:
                counts["history"] += 1
        self._schedule()
        return counts


def _job(job_id: str, item: Imported) -> Job:
    job = Job(
        id=job_id,
        url=item["url"],
        options=item["options"],
        kind=item["kind"],
        status=Status(item["status"]),
        filename=item.get("filename") or "",
        size=item.get("size"),
        created_at=item.get("created_at") or now_iso(),
    )
    if item.finished:
        job.started_at = item.get("started_at")
        job.finished_at = item.get("finished_at") or job.created_at
        job.error = item.get("error")
        job.note = item.get("note") or ""
        job.media = item.get("media")
        job.done = (
            job.size
            if job.status == Status.COMPLETED and job.size is not None
            else item.get("done") or 0
        )
    return job
