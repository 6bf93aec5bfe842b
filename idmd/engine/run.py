"""``JobRun``: one run of one job, and the one owner of what that run holds.

Like aria2's request group, a run owns its task, its speed limiter and the
target names it reserved; it hands the job to the right runner and turns how
the runner ended into a status through the queue. Pause, cancel and stop
cancel the task (whoever cancels sets the status first, so a runner can tell
them apart); whatever happened, the run gives back what it holds and calls
``on_end`` so the engine can start the next job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from idmd.core.userinfo import scrub, secrets_of
from idmd.engine.http.errors import NotAFile
from idmd.engine.http.runner import HttpRunner
from idmd.engine.jobs import Job
from idmd.engine.lifecycle import mark_skipped
from idmd.engine.limits import RateLimiter
from idmd.engine.media import MediaRunner, MediaService, PlaylistFound
from idmd.engine.placement import Reservations
from idmd.engine.queue import JobQueue
from idmd.engine.runner import HandedOver, JobContext, JobError, NeedsDecision, Skipped
from idmd.engine.ticker import Ticker
from idmd.events import EventBus
from idmd.protocol.errors import RpcError
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status
from idmd.protocol.models import JobError as ErrorInfo
from idmd.protocol.models import JobOptions, PlaylistEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunServices:
    """What every run shares, handed in by the engine (which owns them)."""

    queue: JobQueue
    bus: EventBus
    ticker: Ticker
    reservations: Reservations
    context: Callable[[Job, RateLimiter], JobContext]  # may raise JobError (the folder)
    add_entry: Callable[[str, JobOptions, PlaylistEntry | None], Job]  # a playlist's other entries
    on_end: Callable[[], None]  # a slot is free
    media: MediaService  # warm yt-dlp workers and the extractions kept for runs


class JobRun:
    def __init__(self, job: Job, limiter: RateLimiter, services: RunServices) -> None:
        self.job = job
        self.limiter = limiter
        self._services = services
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the job (already ``downloading``) in a task of its own."""
        self._services.queue.running(self)
        self._task = asyncio.create_task(self._main(), name=f"job-{self.job.id}")

    async def stop(self) -> None:
        """Cancel the task and wait until it has given back what it held."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def set_rate(self, rate: int) -> None:
        self.limiter.set_rate(rate)

    async def _main(self) -> None:
        services, job = self._services, self.job
        services.ticker.begin(job)
        try:
            await self._attempt()
        finally:
            services.queue.ended(self)
            services.reservations.release(job.id)
            services.ticker.forget(job)
            services.on_end()

    async def _attempt(self) -> None:
        services, job, queue = self._services, self.job, self._services.queue
        ctx: JobContext | None = None
        try:
            ctx = services.context(job, self.limiter)
            await run_runner(ctx, services.media)
            if job.status == Status.DOWNLOADING:
                if job.size is not None:
                    job.done = job.size
                services.ticker.emit_progress(job)
                queue.set_status(job, Status.COMPLETED)
        except NeedsDecision as exc:
            if job.status == Status.DOWNLOADING:
                job.path = str(exc.path)
                queue.set_status(job, Status.WAITING)
                services.bus.emit(
                    EventType.JOB_DUPLICATE,
                    job.id,
                    {"filename": exc.path.name, "path": str(exc.path)},
                )
        except Skipped as exc:
            if job.status == Status.DOWNLOADING and ctx is not None:
                ctx.log(f"{exc.path.name} exists: skipped")
                services.bus.emit(EventType.JOB_UPDATED, job.id, mark_skipped(job, exc.path))
                ctx.checkpoint()  # the state says the file is not ours; set_status saves the rest
                queue.set_status(job, Status.COMPLETED)
        except PlaylistFound as exc:
            # ``playlist: false``: a playlist URL fails the
            # job instead of becoming one job per entry.
            entries = exc.items() if job.options.get("playlist", True) else None
            if entries and job.status == Status.DOWNLOADING and ctx is not None:
                self._expand_playlist(ctx, entries)
            else:
                self._fail(exc.to_dict())
        except HandedOver as exc:
            if job.status == Status.DOWNLOADING:
                queue.set_status(job, Status.CANCELLED, exc.error)
        except JobError as exc:
            self._fail(exc.to_dict())
        except RpcError as exc:
            self._fail({"code": "unsupported", "message": exc.detail})
        except asyncio.CancelledError:
            raise  # pause, cancel or stop: whoever cancelled set the status
        except Exception as exc:  # a bug must fail one job, never the daemon
            log.exception("job %s crashed", job.id)
            self._fail(
                {"code": "internal", "message": f"internal error: {type(exc).__name__}: {exc}"}
            )

    def _expand_playlist(self, ctx: JobContext, entries: list[dict[str, Any]]) -> None:
        """One job per entry: this job becomes the first, the others are added after it."""
        job = self.job
        ctx.log(f"a playlist of {len(entries)} entries: one job each")
        options: JobOptions = {**job.options, "mode": "media"}
        options.pop("filename", None)  # one name cannot fit every entry
        job.options = options
        job.state = {}
        ctx.update(url=entries[0]["url"], kind="media", playlist=entries[0].get("playlist"))
        for entry in entries[1:]:
            self._services.add_entry(entry["url"], options.copy(), entry.get("playlist"))
        self._services.queue.set_status(job, Status.QUEUED)  # runs again, now as the first entry

    def _fail(self, error: ErrorInfo) -> None:
        # A tool's message may quote a URL with a password in it (yt-dlp names its proxy).
        error = {**error, "message": scrub(error["message"], secrets_of(self.job.options))}
        if self.job.status == Status.DOWNLOADING:
            log.info("job %s failed: %s", self.job.id, error["message"])
            self._services.queue.set_status(self.job, Status.FAILED, error)


async def run_runner(ctx: JobContext, media: MediaService) -> None:
    """Hand the job to its runner; an HTTP URL that turns out to be a page goes to media."""
    job = ctx.job
    if job.kind == "media":
        await MediaRunner(media).run(ctx)
        return
    try:
        await HttpRunner().run(ctx)
        unused = [f"options.{key}" for key in ("quality", "format") if job.options.get(key)]
        if unused:
            ctx.log(
                f"{' and '.join(unused)} not used: the URL is a plain file, not media", "warning"
            )
    except NotAFile as exc:
        ctx.log(f"the URL serves {exc.content_type}: downloading it as media")
        ctx.update(kind="media")
        try:
            await MediaRunner(media).run(ctx)
        except JobError as failed:
            if failed.code != "unsupported":
                raise
            # yt-dlp says "Unsupported URL: <the URL>"; the user needs what the URL was.
            raise JobError(
                "unsupported",
                f"not a file but {_described(exc.content_type)}, with no media yt-dlp can fetch",
            ) from None


def _described(content_type: str) -> str:
    mime = content_type.partition(";")[0].strip().lower()
    return f"a web page ({mime})" if mime in ("text/html", "application/xhtml+xml") else mime
