"""A job's life: run it with the right runner, and pause, resume, cancel, retry, remove.

Status always changes through ``Engine.set_status`` (the transition table in
``idmd.protocol.jobs``), before a task is cancelled, so runners can tell a
pause from a cancel.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idmd.engine.http.errors import NotAFile
from idmd.engine.http.runner import HttpRunner
from idmd.engine.jobcontext import RunContext
from idmd.engine.jobs import Job
from idmd.engine.limits import RateLimiter
from idmd.engine.media import MediaRunner, MediaService, PlaylistFound, discard_partial
from idmd.engine.options import check_options
from idmd.engine.runner import JobError, NeedsDecision, Skipped
from idmd.protocol.errors import InvalidParams, NotAllowed, RpcError
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status

if TYPE_CHECKING:
    from idmd.engine.manager import Engine

log = logging.getLogger(__name__)
UPDATABLE = frozenset({"priority", "connections", "speed_limit", "filename"})


def is_manifest_url(url: str) -> bool:
    return url.split("?", 1)[0].lower().endswith((".m3u8", ".mpd"))


def media_service(engine: Engine) -> MediaService:
    """The engine's ``MediaService`` (warm workers, extractions kept from add to run), made on first use."""
    if engine.media is None:
        engine.media = MediaService()
    return engine.media


def warm_media(engine: Engine) -> None:
    """Have a warm media worker ready before the first media job (the daemon calls this once started)."""
    media_service(engine).warm()


async def run_job(engine: Engine, job: Job) -> None:
    """The job's task: started by ``Engine.schedule`` with the job already ``downloading``."""
    limiter = RateLimiter(engine.global_bucket, int(job.options.get("speed_limit") or 0))
    engine.limiters[job.id] = limiter
    engine.ticker.begin(job)
    try:
        ctx = RunContext(engine, job, limiter)
        await _run(engine, ctx)
        if job.status == Status.DOWNLOADING:
            if job.size is not None:
                job.done = job.size
            engine.ticker.emit_progress(job)
            engine.set_status(job, Status.COMPLETED)
    except NeedsDecision as exc:
        if job.status == Status.DOWNLOADING:
            job.path = str(exc.path)
            engine.set_status(job, Status.WAITING)
            engine.bus.emit(EventType.JOB_DUPLICATE, job.id, {"filename": exc.path.name, "path": str(exc.path)})
    except Skipped as exc:
        if job.status == Status.DOWNLOADING:
            ctx.log(f"{exc.path.name} exists: skipped")
            ctx.update(path=str(exc.path), filename=exc.path.name)
            engine.set_status(job, Status.COMPLETED)
    except PlaylistFound as exc:
        entries = exc.items()
        if entries and job.status == Status.DOWNLOADING:
            _expand_playlist(engine, ctx, entries)
        else:
            _fail(engine, job, exc.to_dict())
    except JobError as exc:
        _fail(engine, job, exc.to_dict())
    except RpcError as exc:
        _fail(engine, job, {"code": "unsupported", "message": exc.detail})
    except asyncio.CancelledError:
        raise  # pause, cancel or stop: whoever cancelled set the status
    except Exception as exc:  # a bug must fail one job, never the daemon
        log.exception("job %s crashed", job.id)
        _fail(engine, job, {"code": "internal", "message": f"internal error: {type(exc).__name__}: {exc}"})
    finally:
        engine.tasks.pop(job.id, None)
        engine.limiters.pop(job.id, None)
        engine.reservations.release(job.id)
        engine.ticker.forget(job)
        engine.schedule()


def _expand_playlist(engine: Engine, ctx: RunContext, entries: list[dict[str, Any]]) -> None:
    """One job per entry: this job becomes the first, the others are added after it."""
    job = ctx.job
    ctx.log(f"a playlist of {len(entries)} entries: one job each")
    options = {**job.options, "mode": "media"}
    options.pop("filename", None)  # one name cannot fit every entry
    job.options = options
    job.state = {}
    ctx.update(url=entries[0]["url"], kind="media", playlist=entries[0].get("playlist"))
    for entry in entries[1:]:
        engine.create(entry["url"], dict(options), "media", entry.get("playlist"))
    engine.set_status(job, Status.QUEUED)  # runs again, now as the first entry


def _fail(engine: Engine, job: Job, error: dict[str, str]) -> None:
    if job.status == Status.DOWNLOADING:
        log.info("job %s failed: %s", job.id, error["message"])
        engine.set_status(job, Status.FAILED, error)


async def _run(engine: Engine, ctx: RunContext) -> None:
    job = ctx.job
    if job.kind == "media":
        await MediaRunner(media_service(engine)).run(ctx)
        return
    try:
        await HttpRunner().run(ctx)
        unused = [f"options.{key}" for key in ("quality", "format") if job.options.get(key)]
        if unused:
            ctx.log(f"{' and '.join(unused)} not used: the URL is a plain file, not media", "warning")
    except NotAFile as exc:
        ctx.log(f"the URL serves {exc.content_type}: downloading it as media")
        ctx.update(kind="media")
        await MediaRunner(media_service(engine)).run(ctx)


async def _stop_task(engine: Engine, job: Job) -> None:
    task = engine.tasks.get(job.id)
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def pause(engine: Engine, job: Job) -> dict:
    if job.status in (Status.DOWNLOADING, Status.QUEUED):
        engine.set_status(job, Status.PAUSED)
        await _stop_task(engine, job)
    elif job.status != Status.PAUSED:
        raise NotAllowed(f"a {job.status} job cannot be paused", data={"id": job.id})
    return job.to_dict()


def resume(engine: Engine, job: Job) -> dict:
    if job.status == Status.PAUSED:
        engine.set_status(job, Status.QUEUED)
        engine.schedule()
    elif job.status not in (Status.QUEUED, Status.DOWNLOADING):
        raise NotAllowed(f"a {job.status} job cannot be resumed (retry a failed one)", data={"id": job.id})
    return job.to_dict()


def _discard_partial(engine: Engine, job: Job) -> None:
    part = job.state.get("http", {}).get("part")
    if part:
        Path(part).unlink(missing_ok=True)
    if job.kind == "media":
        discard_partial(job.download_dir or engine.download_dir, job.id)
    job.state = {}
    job.segments = []
    had_bytes, job.done = job.done, 0
    engine.store.checkpoint(job.id, 0, [], {})
    if had_bytes:  # clients still show the old progress otherwise
        engine.bus.emit(EventType.JOB_UPDATED, job.id, {"done": 0})


async def cancel(engine: Engine, job: Job) -> dict:
    if job.status == Status.COMPLETED:
        raise NotAllowed("a completed job cannot be cancelled", data={"id": job.id})
    if job.status != Status.CANCELLED:
        engine.set_status(job, Status.CANCELLED)
        await _stop_task(engine, job)
        _discard_partial(engine, job)
    return job.to_dict()


def retry(engine: Engine, job: Job) -> dict:
    if job.status not in (Status.FAILED, Status.CANCELLED):
        raise NotAllowed(f"only failed or cancelled jobs can be retried, not {job.status}", data={"id": job.id})
    engine.set_status(job, Status.QUEUED, None)
    engine.schedule()
    return job.to_dict()


async def remove(engine: Engine, job: Job, delete_files: bool) -> None:
    task = engine.tasks.get(job.id)
    if task is not None:
        job.status = Status.CANCELLED  # the runner sees a cancel; no status event, the job goes
        await _stop_task(engine, job)
    if job.status != Status.COMPLETED:
        _discard_partial(engine, job)
    if delete_files and job.status == Status.COMPLETED and job.path:
        try:
            os.unlink(job.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot delete %s: %s", job.path, exc)
    engine.jobs.pop(job.id, None)
    engine.bus.emit(EventType.JOB_REMOVED, job.id, {"deleted_files": bool(delete_files)})


async def update(engine: Engine, job: Job, patch: Any) -> dict:
    if not isinstance(patch, dict) or not patch:
        raise InvalidParams("patch must be a non-empty object", data={"param": "patch"})
    unknown = sorted(set(patch) - UPDATABLE)
    if unknown:
        raise InvalidParams(f"{unknown[0]} cannot be changed", data={"param": unknown[0]})
    clean = check_options(patch)
    changed: dict[str, Any] = {}
    if "filename" in clean:
        if job.status in (Status.DOWNLOADING, Status.COMPLETED):
            raise NotAllowed(f"the name of a {job.status} job cannot be changed", data={"id": job.id})
        _rename_part(job, clean["filename"])
        job.filename = changed["filename"] = clean["filename"]
    job.options.update(clean)
    changed["options"] = job.options
    limiter = engine.limiters.get(job.id)
    if limiter is not None and "speed_limit" in clean:
        limiter.set_rate(clean["speed_limit"])
    engine.store.save_job(job.to_store())
    engine.store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
    engine.bus.emit(EventType.JOB_UPDATED, job.id, changed)
    engine.schedule()
    return job.to_dict()


def _rename_part(job: Job, name: str) -> None:
    """A paused download keeps its bytes under the new name."""
    state = job.state.get("http", {})
    if not state.get("target"):
        return
    target = Path(state["target"]).with_name(name)
    part = Path(state.get("part", ""))
    new_part = target.with_name(name + ".part")
    if part.exists() and not new_part.exists() and not target.exists():
        part.rename(new_part)
        state.update(target=str(target), part=str(new_part))
    else:
        state.pop("target", None)  # decided again at the next start


def resolve_duplicate(engine: Engine, job: Job, action: str) -> dict:
    if action not in ("rename", "overwrite", "skip"):
        raise InvalidParams("action must be rename, overwrite or skip", data={"param": "action"})
    if job.status != Status.WAITING:
        raise NotAllowed(f"job {job.id} is not waiting for a decision", data={"id": job.id})
    job.state["on_duplicate"] = action
    if action == "skip":
        engine.bus.emit(EventType.JOB_LOG, job.id, {"level": "info", "message": "the file exists: skipped"})
        engine.set_status(job, Status.COMPLETED)
    else:
        engine.set_status(job, Status.QUEUED)
        engine.store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
        engine.schedule()
    return job.to_dict()
