"""``Engine``: the one Python API of downloads that the RPC layer exposes one to one.

Keeps the jobs in memory, validates requests, moves jobs through the status
machine and emits the events. Running a job is ``lifecycle.py``'s job;
moving bytes is the runners'.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp

from idmd.config import Config
from idmd.core.tokenbucket import TokenBucket
from idmd.engine import lifecycle
from idmd.engine.jobs import Job, new_job_id, now_iso
from idmd.engine.limits import HostSlots, RateLimiter
from idmd.engine.media import MediaService
from idmd.engine.options import check_options, check_url
from idmd.engine.placement import Reservations
from idmd.engine.probe import probe_url
from idmd.engine.runner import JobError
from idmd.engine.scheduler import pick
from idmd.engine.ticker import Ticker
from idmd.events import EventBus
from idmd.protocol.errors import InvalidParams, NoSuchJob, NotAllowed, RpcError
from idmd.protocol.events import EventType
from idmd.protocol.jobs import FINISHED, Status, can_move

log = logging.getLogger(__name__)
RECENT_FINISHED = 200  # finished jobs kept in memory for snapshots and get()
JobDicts = list[dict]  # (``Engine.list`` hides the builtin inside the class)
Ids = list[str]


class Engine:
    def __init__(self, config: Config, download_dir: Path, store: Any, bus: EventBus) -> None:
        self.config = config
        self.download_dir = Path(download_dir)
        self.store = store
        self.bus = bus
        self.jobs: dict[str, Job] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.limiters: dict[str, RateLimiter] = {}
        self.global_bucket = TokenBucket(config.speed_limit, time.monotonic())
        self.hosts = HostSlots(config.max_connections_per_host)
        self.reservations = Reservations()
        self.ticker = Ticker(bus, lambda: [self.jobs[i] for i in list(self.tasks) if i in self.jobs], self.stats)
        self.totals = {"completed": 0, "failed": 0}
        self._session: aiohttp.ClientSession | None = None
        self._ticker_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._folders: dict[Path, Path] = {}
        self.media: MediaService | None = None  # made on first use (lifecycle.media_service)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=60)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=True, auto_decompress=False)
        return self._session

    async def start(self) -> None:
        self.download_dir.mkdir(parents=True, exist_ok=True)
        for data in await self.store.load_unfinished():
            try:
                job = Job.from_store(data)
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("skipping a stored job that cannot be read: %s", exc)
                continue
            if job.status == Status.DOWNLOADING:
                job.status = Status.QUEUED  # interrupted: it resumes from its checkpoint
                self.store.save_job(job.to_store())
            self.jobs[job.id] = job
        self._ticker_task = asyncio.create_task(self.ticker.run())
        self.schedule()

    async def stop(self) -> None:
        """Stop every job where it is (checkpointed, parts kept): the next start resumes them."""
        self._stopping = True
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for job in self.jobs.values():
            if job.status == Status.DOWNLOADING:
                self.store.save_job(job.to_store())
        if self._ticker_task is not None:
            self._ticker_task.cancel()
            await asyncio.gather(self._ticker_task, return_exceptions=True)
        await self.store.flush()
        if self._session is not None:
            await self._session.close()
        if self.media is not None:
            await self.media.close()  # the warm media worker goes with the engine

    def apply_config(self, config: Config) -> None:
        self.config = config
        self.global_bucket.set_rate(config.speed_limit, time.monotonic())
        self.hosts.limit = config.max_connections_per_host
        self.schedule()

    def set_download_dir(self, folder: Path) -> None:
        """New jobs without a folder of their own go to ``folder`` (config reload); running
        jobs keep the folder they started in."""
        self.download_dir = Path(folder)

    def folder(self, wanted: Path | None) -> Path:
        """The job's folder, absolute, resolved and created (cached: one mkdir per folder)."""
        folder = wanted or self.download_dir
        known = self._folders.get(folder)
        if known is not None and known.is_dir():
            return known
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JobError("io", f"cannot create {folder}: {exc.strerror or exc}") from None
        self._folders[folder] = folder.resolve()
        return self._folders[folder]

    # -- scheduling ------------------------------------------------------------------------
    def schedule(self) -> None:
        """Start queued jobs while fewer than ``max_active`` run (priority, then age)."""
        if self._stopping:
            return
        for job in pick(self.jobs.values(), len(self.tasks), self.config.max_active):
            self.set_status(job, Status.DOWNLOADING)
            self.tasks[job.id] = asyncio.create_task(lifecycle.run_job(self, job), name=f"job-{job.id}")

    def set_status(self, job: Job, status: Status, error: dict[str, str] | None = None) -> None:
        if job.status == status and job.error == error:
            return
        if job.status != status and not can_move(job.status, status):
            raise NotAllowed(f"a {job.status} job cannot become {status}", data={"status": str(job.status)})
        job.status = status
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
        self.store.save_job(row)
        self.bus.emit(EventType.JOB_STATUS, job.id, {"status": str(status), "error": error})
        if changed:
            self.bus.emit(EventType.JOB_UPDATED, job.id, changed)

    def _trim_finished(self) -> None:
        finished = [j for j in self.jobs.values() if j.status in FINISHED]
        for job in finished[: max(0, len(finished) - RECENT_FINISHED)]:
            del self.jobs[job.id]

    # -- the API -----------------------------------------------------------------------------
    async def probe(self, url: str, options: dict) -> dict:
        url = check_url(url)
        return await probe_url(self, url, check_options(options))

    async def add(self, url: str, options: dict) -> dict:
        url = check_url(url)
        clean = check_options(options)
        mode = clean.get("mode", "auto")
        kind = "http"
        if mode == "media" or (mode == "auto" and lifecycle.is_manifest_url(url)):
            kind = "media"
            if mode == "media":
                # Asked for media explicitly: a URL yt-dlp cannot take is refused now (-32010),
                # not turned into a job that can only fail. The extraction is kept for the job.
                await lifecycle.media_service(self).extract(url, clean, self.config.user_agent)
        return self.create(url, clean, kind).to_dict()

    def create(self, url: str, options: dict, kind: str, playlist: dict | None = None) -> Job:
        """A new job from a checked URL and options (``add``, playlist entries)."""
        job = Job(id=new_job_id(), url=url, options=options, kind=kind, playlist=playlist)
        if options.get("filename"):
            job.filename = options["filename"]
        if options.get("start") == "paused":
            job.status = Status.PAUSED
        self.jobs[job.id] = job
        self.store.save_job(job.to_store())
        self.bus.emit(EventType.JOB_ADDED, job.id, job.to_dict())
        self.schedule()
        return job

    async def add_many(self, items: JobDicts) -> JobDicts:
        if not isinstance(items, list):
            raise InvalidParams("items must be a list", data={"param": "items"})
        results: JobDicts = []
        for item in items:
            try:
                if not isinstance(item, dict):
                    raise InvalidParams("each item is {url, options}", data={"param": "items"})
                results.append(await self.add(item.get("url"), item.get("options") or {}))  # type: ignore[arg-type]
            except RpcError as exc:
                results.append({"error": exc.to_dict()})
        return results

    def get(self, job_id: str) -> dict:
        job = self.jobs.get(job_id)
        if job is None:
            raise NoSuchJob(f"no job {job_id!r}", data={"id": job_id})
        return job.to_dict()

    async def fetch(self, job_id: str) -> dict:
        """Like ``get``, but also finds finished jobs that are only in the history."""
        if job_id in self.jobs:
            return self.get(job_id)
        return (await self._load(job_id)).to_dict()

    async def _load(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is not None:
            return job
        data = await self.store.get_job(job_id) if isinstance(job_id, str) else None
        if data is None:
            raise NoSuchJob(f"no job {job_id!r}", data={"id": job_id})
        job = Job.from_store(data)
        self.jobs[job.id] = job
        return job

    async def list(
        self,
        status: Ids | None = None,
        query: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: str = "-created_at",
    ) -> dict:
        await self.store.flush()
        result = await self.store.list_jobs(status, query, limit, cursor, order)
        live = [{**job, **self.jobs[job["id"]].to_dict(segments=False)} if job["id"] in self.jobs else job
                for job in result.get("jobs", [])]
        return {**result, "jobs": live}

    async def pause(self, ids: Ids) -> JobDicts:
        return [await lifecycle.pause(self, await self._load(i)) for i in _ids(ids)]

    async def resume(self, ids: Ids) -> JobDicts:
        return [lifecycle.resume(self, await self._load(i)) for i in _ids(ids)]

    async def cancel(self, ids: Ids) -> JobDicts:
        return [await lifecycle.cancel(self, await self._load(i)) for i in _ids(ids)]

    async def retry(self, ids: Ids) -> JobDicts:
        return [lifecycle.retry(self, await self._load(i)) for i in _ids(ids)]

    async def remove(self, ids: Ids, delete_files: bool = False) -> None:
        jobs = [await self._load(i) for i in _ids(ids)]
        for job in jobs:
            await lifecycle.remove(self, job, delete_files)
        await self.store.delete_jobs([job.id for job in jobs])

    async def update(self, job_id: str, patch: dict) -> dict:
        return await lifecycle.update(self, await self._load(job_id), patch)

    async def resolve_duplicate(self, job_id: str, action: str) -> dict:
        return lifecycle.resolve_duplicate(self, await self._load(job_id), action)

    def snapshot(self) -> JobDicts:
        return [job.to_dict() for job in self.jobs.values()]

    def stats(self) -> dict:
        active = [j for j in self.jobs.values() if j.status == Status.DOWNLOADING]
        return {
            "active": len(active),
            "queued": sum(1 for j in self.jobs.values() if j.status == Status.QUEUED),
            "speed": round(sum(j.speed for j in active)),
            "totals": {**self.totals, "downloaded": self.ticker.session_bytes},
        }


def _ids(ids: Any) -> list[str]:
    if isinstance(ids, str):
        return [ids]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidParams("ids must be a list of job ids", data={"param": "ids"})
    return ids
