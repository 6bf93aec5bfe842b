"""``Engine``: the one Python API of downloads that the RPC layer exposes one to one.

It validates requests and owns the shared parts: the job table and the
status machine are the ``JobQueue``'s, each running job's task, limiter and
reserved names its ``JobRun``'s; the engine starts runs when the queue has
room and asks the owners for every change. Moving bytes is the runners'.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import aiohttp

from idmd.config import Config
from idmd.core.tokenbucket import TokenBucket
from idmd.core.userinfo import split_credentials, split_proxy_password
from idmd.engine import categorize, lifecycle
from idmd.engine.actions import JobActions
from idmd.engine.after import AfterDownload, AfterServices
from idmd.engine.credentials import Credentials, job_auth
from idmd.engine.gate import AllOpen, QueueGate
from idmd.engine.jobcontext import ContextServices, RunContext
from idmd.engine.jobs import Job, new_job_id
from idmd.engine.limits import HostSlots, RateLimiter
from idmd.engine.media import WARM_AFTER, MediaService
from idmd.engine.placement import Reservations
from idmd.engine.probe import probe_url
from idmd.engine.queue import JobQueue
from idmd.engine.refresh import LinkRefresh
from idmd.engine.retry_later import RetryLater
from idmd.engine.run import JobRun, RunServices
from idmd.engine.runner import JobError
from idmd.engine.sessions import Sessions, job_route
from idmd.engine.ticker import Ticker
from idmd.engine.transfer import JobImport
from idmd.events import EventBus
from idmd.protocol.errors import NoSuchJob, RpcError
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status
from idmd.protocol.models import ItemError, JobOptions, JobPage, PlaylistEntry
from idmd.protocol.models import Job as JobDict
from idmd.protocol.options import check_options
from idmd.protocol.params import Item, check_action, check_ids, check_items, check_update, check_url
from idmd.protocol.transfer import check_entries

PREFIX_MATCHES = 10  # the matches an ambiguous id prefix's error lists
# ``act_here``'s names for jobs.remove, keeping or deleting the files (``delete_files``).
REMOVE = {False: "remove", True: "remove_with_files"}
log = logging.getLogger(__name__)
JobDicts = list[JobDict]  # (``Engine.list`` hides the builtin inside the class)
Ids = list[str]


class Handover(Protocol):
    """Where new jobs go instead of this engine's queue: a fleet (``idmd.fleet``)."""

    def take(self, job: Job) -> bool:
        """A new job: True if it was handed over (the engine then does not keep it)."""
        ...

    def owns(self, job: Job) -> bool:
        """A stored unfinished job that was taken from
        the fleet: the fleet resumes it, not the engine."""
        ...

    def summary(self) -> dict[str, Any]:
        """For ``stats``: the fleet's nodes
        (``{node, reachable, nodes: [{node, alive, active, …}]}``)."""
        ...

    async def control(self, action: str, job_id: str, patch: JobOptions | None) -> JobDict:
        """``action`` (pause, resume, cancel, update, get, retry, remove) on a job this engine
        does not hold: the node that holds it does it; NoSuchJob if the fleet knows no such job
        either."""
        ...

    async def fence(self, job: Job) -> None:
        """Before a job's file takes its final name: ``HandedOver`` if another node took it
        over (only the fleet record's owner completes a job)."""
        ...


class Engine:
    def __init__(
        self,
        config: Config,
        download_dir: Path,
        store: Any,
        bus: EventBus,
        credentials: Credentials | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock``: the wall clock of automatic retries (tests hand in one they move)."""
        self.config = config
        self.download_dir = Path(download_dir)
        self.store = store
        self.bus = bus
        self.queue = JobQueue(store, bus)
        self.media = MediaService()  # warm yt-dlp workers, extractions kept from add to run
        self.global_bucket = TokenBucket(config.speed_limit, time.monotonic())
        self.hosts = HostSlots(config.max_connections_per_host)
        self.reservations = Reservations()
        self.ticker = Ticker(bus, self.queue.running_jobs, self.stats)
        self.sessions = Sessions()
        self.credentials = credentials or Credentials(
            None
        )  # none: a test's engine reads no ~/.netrc
        self._contexts = ContextServices(
            lambda: self.config,
            self.sessions.get,
            bus,
            store,
            self.ticker.touch,
            self.hosts,
            self.reservations,
            self._transferred,
            self.credentials,
            self._fence,
        )
        self._runs = RunServices(
            self.queue,
            bus,
            self.ticker,
            self.reservations,
            self._context,
            self._add_entry,
            self.schedule,
            self.media,
        )
        self.actions = JobActions(self.queue, store, bus, lambda: self.download_dir, self.schedule)
        self.retry_later = RetryLater(
            self.queue, store, bus, lambda: self.config, self.schedule, self._load, clock
        )
        self.imports = JobImport(self.queue, store, bus, self.schedule)
        self.links = LinkRefresh(
            self.queue, store, bus, self.session, lambda: self.config, self.schedule
        )
        self._ticker_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._folders: dict[Path, Path] = {}
        self.after = AfterDownload(
            AfterServices(
                lambda: self.config,
                lambda url: self.session(url, {}),
                bus,
                store,
                self.queue.get,
                self._idle,
                lambda: self.download_dir,
            )
        )
        self.handover: Handover | None = None  # set before ``start`` by a fleet
        self.gate: QueueGate = (
            AllOpen()
        )  # which named queues may start jobs (the daemon's schedule)
        self._timed_limit: int | None = None  # the schedule's speed window, over config.speed_limit

    # -- lifecycle -------------------------------------------------------------------------
    def session(self, url: str, options: Mapping[str, Any]) -> aiohttp.ClientSession:
        """The HTTP session for ``url`` of a job with
        ``options``: its proxy's (idmd.engine.sessions)."""
        return self.sessions.get(job_route(url, options, self.config))

    async def start(self) -> None:
        self.download_dir.mkdir(parents=True, exist_ok=True)
        handed: list[str] = []
        for job in _readable(await self.store.load_unfinished()):
            if self.handover is not None and self.handover.owns(job):
                handed.append(
                    job.id
                )  # the fleet's record has its checkpoint; it comes back by the queue
                continue
            if job.status == Status.DOWNLOADING:
                job.status = Status.QUEUED  # interrupted: it resumes from its checkpoint
                self.store.save_job(job.to_store())
            self.queue.put(job)
        waiting = _readable(await self.store.load_retrying())  # failed, with an automatic retry due
        for job in waiting:
            self.queue.put(job)
        self.retry_later.start(waiting)
        if handed:
            await self.store.delete_jobs(handed)
        self._ticker_task = asyncio.create_task(self.ticker.run())
        self.schedule()

    async def stop(self) -> None:
        """Stop every job where it is (checkpointed, parts kept): the next start resumes them."""
        self._stopping = True
        await self.retry_later.stop()
        await asyncio.gather(*(run.stop() for run in self.queue.runs()))
        await self.after.close()  # commands still running are killed, webhooks given up
        for job in self.queue:
            if job.status == Status.DOWNLOADING:
                self.store.save_job(job.to_store())
        if self._ticker_task is not None:
            self._ticker_task.cancel()
            await asyncio.gather(self._ticker_task, return_exceptions=True)
        await self.store.flush()
        await self.media.close()  # the warm media worker goes with the engine
        await self.sessions.close()

    def warm(self) -> None:
        """Have a warm media worker and the downloads' TLS context ready before the first job
        (called once started; both begin a moment after start-up, not during it)."""
        self.media.warm(WARM_AFTER)
        self.sessions.warm(WARM_AFTER)

    def apply_config(self, config: Config) -> None:
        self.config = config
        self.global_bucket.set_rate(self.global_limit(), time.monotonic())
        self.hosts.limit = config.max_connections_per_host
        self.retry_later.apply(config)
        self.schedule()

    def global_limit(self) -> int:
        """Bytes per second for all jobs together (0: none): the schedule's speed window, if one
        is open, else the config's ``speed_limit``."""
        return self.config.speed_limit if self._timed_limit is None else self._timed_limit

    def set_timed_limit(self, limit: int | None) -> None:
        """The schedule's speed window opened (``limit``) or closed (None): applies at once."""
        self._timed_limit = limit
        self.global_bucket.set_rate(self.global_limit(), time.monotonic())

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

    # -- running -----------------------------------------------------------------------------
    def schedule(self) -> None:
        """Start queued jobs while fewer than ``max_active``
        run (priority, then age): O(log n) each."""
        if self._stopping:
            return
        for job in self.queue.next_to_start(
            self.config.max_active, self.gate.may_start, self.gate.queue_caps()
        ):
            self.queue.set_status(job, Status.DOWNLOADING)
            limiter = RateLimiter(self.global_bucket, int(job.options.get("speed_limit") or 0))
            JobRun(job, limiter, self._runs).start()

    async def hold_closed(self) -> None:
        """Running jobs whose queue may not start jobs now go back to the queue (parts kept)."""
        for run in self.queue.runs():
            if not self.gate.may_start(run.job.queue_name) and not self.queue.is_finishing(
                run.job.id
            ):
                await self.actions.requeue(run.job)

    def _transferred(self, job_id: str) -> None:
        self.queue.finishing(job_id)
        self.schedule()

    async def _fence(self, job: Job) -> None:
        if self.handover is not None:
            await self.handover.fence(job)

    def _context(self, job: Job, limiter: RateLimiter) -> RunContext:
        return RunContext(self._contexts, job, limiter, self.folder(job.download_dir))

    def _idle(self) -> bool:
        """Nothing queued, running or waiting for a decision: the queue is empty."""
        return not any(
            self.queue.count(s) for s in (Status.QUEUED, Status.DOWNLOADING, Status.WAITING)
        )

    def _add_entry(self, url: str, options: JobOptions, playlist: PlaylistEntry | None) -> Job:
        return self.create(url, options, "media", playlist)

    # -- the API -----------------------------------------------------------------------------
    # Each method checks what it is given against the declaration in idmd.protocol
    # (options, params): the RPC layer only binds JSON to its annotations.
    async def probe(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        url, clean = self._credentials(check_url(url), check_options(options))
        return await probe_url(
            self.session(url, clean),
            self.media,
            self.config,
            url,
            clean,
            job_auth(url, clean, self.credentials),
        )

    @staticmethod
    def _credentials(url: str, options: JobOptions) -> tuple[str, JobOptions]:
        """A URL's user and password moved into the options, the proxy's password apart from
        its URL: the URL and the proxy are stored and shown."""
        url, clean = split_credentials(url, options)
        clean = split_proxy_password(clean)
        return url, check_options(
            clean
        ) if clean != options else options  # user/password checked too

    async def add(
        self,
        url: str,
        options: Mapping[str, Any] | None = None,
        roots: Sequence[Path] | None = None,
    ) -> JobDict:
        """``roots``: the only folders ``options.dir``
        may name (a paired client's), None for any."""
        job = await self._add(check_url(url), check_options(options, roots=roots))
        await self._kept()
        return job

    async def _kept(self) -> None:
        """What was just added survives a crash from the moment the caller hears of it: the
        answer waits for the history's commit (one fsync for a whole ``add_many``)."""
        try:
            await self.store.flush()
        except Exception as exc:  # noqa: BLE001 - a failing history must not refuse the job
            log.warning("the new jobs are not in the history yet: %s", exc)

    async def _add(self, url: str, clean: JobOptions) -> JobDict:
        url, clean = self._credentials(url, clean)
        clean = categorize.check_names(clean, self.config)
        if "queue" in clean:
            self.gate.check(clean["queue"], "options.queue")
        mode = clean.get("mode", "auto")
        kind = "http"
        if mode == "media" or (mode == "auto" and lifecycle.is_manifest_url(url)):
            kind = "media"
            if mode == "media":
                # Asked for media explicitly: a URL yt-dlp cannot take is refused now (-32010),
                # not turned into a job that can only fail. The extraction is kept for the job.
                await self.media.extract(
                    url,
                    clean,
                    self.config.user_agent,
                    job_route(url, clean, self.config).for_ytdlp,
                    job_auth(url, clean, self.credentials),
                )
        return self.create(url, clean, kind).to_dict()

    def create(
        self, url: str, options: JobOptions, kind: str, playlist: PlaylistEntry | None = None
    ) -> Job:
        """A new job from a checked URL and options (``add``, playlist entries)."""
        job = Job(id=new_job_id(), url=url, options=options, kind=kind, playlist=playlist)
        if options.get("filename"):
            job.filename = options["filename"]
        if options.get("start") == "paused":
            job.status = Status.PAUSED
        if self.handover is not None and self.handover.take(job):
            self.bus.emit(EventType.JOB_ADDED, job.id, dict(job.to_dict()))
            return job
        self.adopt(job)
        return job

    def adopt(self, job: Job) -> None:
        """A job enters this engine's queue: a new one, or one a fleet gave this node to run."""
        self.queue.put(job)
        self.store.save_job(job.to_store())
        self.bus.emit(EventType.JOB_ADDED, job.id, dict(job.to_dict()))
        self.schedule()

    async def add_many(
        self, items: Sequence[Mapping[str, Any]], roots: Sequence[Path] | None = None
    ) -> list[JobDict | ItemError]:
        """Each item added on its own: a Job, or ``{"error": …}`` for an item that cannot be."""
        results: list[JobDict | ItemError] = []
        for item in check_items(items, roots):
            try:
                if not isinstance(item, Item):
                    raise item
                results.append(await self._add(item.url, item.options))
            except RpcError as exc:
                results.append({"error": exc.to_dict()})
        await self._kept()
        return results

    def held(self) -> int:
        """How many jobs the engine holds in memory (unfinished and recently finished)."""
        return len(self.queue)

    def get(self, job_id: str) -> JobDict:
        job = self.queue.get(job_id)
        if job is None:
            raise NoSuchJob(f"no job {job_id!r}", data={"id": job_id})
        return job.to_dict()

    async def fetch(self, job_id: str) -> JobDict:
        """Like ``get``, but also finds finished jobs that are only in the history (in a fleet,
        another node's)."""
        if job_id in self.queue:
            return self.get(job_id)
        return await self._act("get", job_id)

    async def _load(self, job_id: str) -> Job:
        job = self.queue.get(job_id)
        if job is not None:
            return job
        job_id = await self._by_prefix(job_id)
        job = self.queue.get(job_id)
        if job is not None:
            return job
        data = await self.store.get_job(job_id) if isinstance(job_id, str) else None
        if data is None:
            raise NoSuchJob(f"no job {job_id!r}", data={"id": job_id})
        job = Job.from_store(data)
        self.queue.put(job)
        return job

    async def _by_prefix(self, job_id: str) -> str:
        """The one job id that starts with ``job_id`` (a unique prefix is as good as the id);
        ``job_id`` itself when none does; NoSuchJob listing the matches when several do."""
        if not isinstance(job_id, str) or not job_id:
            return job_id
        await self.store.flush()  # a job added a moment ago is in the history too
        found = set(await self.store.ids_starting(job_id, PREFIX_MATCHES + 1))
        found.update(j.id for j in self.queue if j.id.startswith(job_id))
        matches = sorted(found)
        if len(matches) > 1:
            shown = ", ".join(matches[:PREFIX_MATCHES]) + (
                ", …" if len(matches) > PREFIX_MATCHES else ""
            )
            raise NoSuchJob(
                f"{job_id!r} is more than one job: {shown}; give more of the id",
                data={"id": job_id, "matches": matches[:PREFIX_MATCHES]},
            )
        return matches[0] if matches else job_id

    async def list(
        self,
        status: Ids | None = None,
        query: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: str = "-created_at",
    ) -> JobPage:
        await self.store.flush()
        result: JobPage = await self.store.list_jobs(status, query, limit, cursor, order)
        jobs: JobDicts = []
        for job in result["jobs"]:
            live = self.queue.get(job["id"])
            jobs.append({**job, **live.to_dict(segments=False)} if live is not None else job)
        result["jobs"] = jobs
        return result

    async def pause(self, ids: Ids) -> JobDicts:
        return [await self._act("pause", i) for i in check_ids(ids)]

    async def resume(self, ids: Ids) -> JobDicts:
        return [await self._act("resume", i) for i in check_ids(ids)]

    async def cancel(self, ids: Ids) -> JobDicts:
        return [await self._act("cancel", i) for i in check_ids(ids)]

    async def _act(self, action: str, job_id: str, patch: JobOptions | None = None) -> JobDict:
        """``action`` on a job here, or, in a fleet, on the node that holds it."""
        job = await self._here(job_id)
        if job is None:
            assert self.handover is not None
            return await self.handover.control(action, job_id, patch)
        return await self.act_here(action, job, patch)

    async def _here(self, job_id: str) -> Job | None:
        """The job if this engine has it; None when a fleet may have it (NoSuchJob if alone)."""
        try:
            return await self._load(job_id)
        except NoSuchJob:
            if self.handover is None:
                raise
            return None

    async def act_here(
        self, action: str, job: Job | str, patch: JobOptions | None = None
    ) -> JobDict:
        """``action`` on a job of this engine (a fleet's request from another node comes here)."""
        if isinstance(job, str):
            job = await self._load(job)
        if action == "pause":
            return await self.actions.pause(job)
        if action == "resume":
            return self.actions.resume(job)
        if action == "cancel":
            return await self.actions.cancel(job)
        if action == "update" and patch is not None:
            return self.actions.update(job, patch)
        if action == "get":
            return job.to_dict()
        if action == "retry":
            return self.actions.retry(job)
        if action in REMOVE.values():
            await self.remove([job.id], action == REMOVE[True])
            return job.to_dict()
        raise ValueError(f"no action {action!r}")

    async def retry(self, ids: Ids) -> JobDicts:
        return [await self._act("retry", i) for i in check_ids(ids)]

    async def remove(self, ids: Ids, delete_files: bool = False) -> None:
        """Every id is looked up before any job goes; in a fleet, a job this node does not have
        is removed by the node that holds it."""
        found = [(i, await self._here(i)) for i in check_ids(ids)]
        jobs = [job for _, job in found if job is not None]
        for job in jobs:
            await self.actions.remove(job, delete_files)
        await self.store.delete_jobs([job.id for job in jobs])
        for job_id in (i for i, held in found if held is None):
            assert self.handover is not None  # (``_here`` finds no job only in a fleet)
            await self.handover.control(REMOVE[delete_files], job_id, None)

    async def update(self, job_id: str, patch: Mapping[str, Any]) -> JobDict:
        """Change options; a new ``url`` (paused or failed jobs, on this node) is checked
        first, and a refused one changes nothing."""
        url, clean = check_update(patch)
        clean = categorize.check_names(clean, self.config, "patch")
        if "proxy" in clean:  # its password kept apart, in memory only, as on jobs.add
            clean = cast(JobOptions, split_proxy_password(clean))
        if "queue" in clean:
            self.gate.check(clean["queue"], "patch.queue")
        if url is not None:
            job = await self._load(job_id)
            await self.links.refresh(job, url)
            updated = self.actions.update(job, clean) if clean else job.to_dict()
        else:
            updated = await self._act("update", job_id, clean)  # in a fleet: on the job's node
        if "queue" in clean and updated["id"] in self.queue:
            await self.hold_closed()  # moved, while downloading, into a closed queue
            updated = self.get(updated["id"])
        return updated

    async def import_jobs(
        self, jobs: Sequence[Mapping[str, Any]], roots: Sequence[Path] | None = None
    ) -> dict[str, int]:
        """Jobs from an export (idmd.protocol.transfer), all checked first and stored in one
        transaction; ``roots`` as in ``add``."""
        return await self.imports.run(check_entries(jobs, roots))

    async def resolve_duplicate(self, job_id: str, action: str) -> JobDict:
        action = check_action(action)
        return self.actions.resolve_duplicate(await self._load(job_id), action)

    def snapshot(self) -> JobDicts:
        return [job.to_dict() for job in self.queue]

    def load(self) -> dict[str, int]:
        """Active and queued jobs and the total speed (B/s): what a fleet's heartbeat says."""
        queue = self.queue
        return {
            "active": queue.count(Status.DOWNLOADING),
            "queued": queue.count(Status.QUEUED),
            "speed": round(
                sum(j.speed for j in queue.running_jobs() if j.status == Status.DOWNLOADING)
            ),
        }

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = {
            **self.load(),
            "totals": {**self.queue.totals, "downloaded": self.ticker.session_bytes},
        }
        if self.handover is not None:
            stats["fleet"] = self.handover.summary()
        return stats


def _readable(rows: Sequence[Mapping[str, Any]]) -> list[Job]:
    """Stored jobs as Jobs; a row that cannot be read is logged and skipped."""
    jobs = []
    for data in rows:
        try:
            jobs.append(Job.from_store(dict(data)))
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("skipping a stored job that cannot be read: %s", exc)
    return jobs
