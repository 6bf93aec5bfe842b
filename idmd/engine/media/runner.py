"""``MediaRunner``: one media job, driven through yt-dlp worker processes.

A worker picks the format; a single file with a direct URL goes back to the
engine's segmented HTTP downloader, anything else (HLS, DASH, merges) the
worker downloads into a per-job hidden folder, moved into place at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idmd.core.backoff import backoff_delay
from idmd.core.filenames import sanitize, unique_name
from idmd.core.formats import lowered_note
from idmd.engine.media.plain_name import plain_file_name
from idmd.engine.media.process import WorkerOutcome, WorkerProcess, WorkerStalled
from idmd.engine.media.request import (
    RETRIED_KINDS,
    base_request,
    error_code,
    format_choice,
    media_filename,
)
from idmd.engine.media.service import Extraction, MediaService
from idmd.engine.media.timing import Phases, watch_first_byte
from idmd.engine.runner import JobError, NeedsDecision, Skipped
from idmd.engine.sessions import job_route

if TYPE_CHECKING:
    from idmd.engine.runner import JobContext

CHECKPOINT_EVERY = 1.0  # seconds between checkpoints while a worker reports progress
# Errors that asking the site again cannot fix; any other failure of a handed-over
# extraction (an expired URL: 403, 404, 410, a broken fragment) extracts again.
FINAL_CODES = frozenset(
    {"no_space", "io", "checksum", "geo", "age", "login", "unsupported", "playlist"}
)
TEMP_PREFIX = ".idm-media-"


class PlaylistFound(JobError):
    """The URL is a playlist: the engine makes one job per entry (docs/internals.md, Media).

    A JobError, so an engine that does not expand playlists fails the job
    with a message that says what to do instead of an internal error.
    """

    def __init__(self, summary: dict[str, Any]) -> None:
        self.playlist = {"id": summary.get("id"), "title": summary.get("title")}
        self.entries: list[dict[str, Any]] = [
            e for e in summary.get("entries") or [] if e.get("url")
        ]
        count = len(self.entries)
        super().__init__("playlist", f"a playlist of {count} entries: add them as separate jobs")

    def items(self) -> list[dict[str, Any]]:
        """One ``{url, playlist: {id, title, index, count}}`` per entry, for the engine to add."""
        count = len(self.entries)
        return [
            {
                "url": e["url"],
                "playlist": {**self.playlist, "index": e.get("index", i), "count": count},
            }
            for i, e in enumerate(self.entries, 1)
        ]


class _Retry(Exception):
    """A failure worth another attempt (network, stall, an unasked stop)."""


def temp_dir(download_dir: Path, job_id: str) -> Path:
    """Where a job's partial media lives until it is complete (the same filesystem)."""
    return download_dir / f"{TEMP_PREFIX}{sanitize(job_id)}"


def discard_partial(download_dir: Path, job_id: str) -> None:
    """Remove a media job's partial files (cancel, remove with files)."""
    shutil.rmtree(temp_dir(download_dir, job_id), ignore_errors=True)


def _remove_if_empty(folder: Path) -> None:
    """A failed job keeps its fragments for a retry, but not an empty folder for them."""
    with contextlib.suppress(OSError):
        folder.rmdir()


class MediaRunner:
    """Implements ``idmd.engine.runner.JobRunner`` for ``kind: media`` jobs.

    With the engine's ``MediaService``, workers come warm from its pool and
    the extraction made when the job was added is used instead of a new one.
    """

    def __init__(self, service: MediaService | None = None) -> None:
        self.service = service

    async def run(self, ctx: JobContext) -> None:
        phases = Phases(ctx.log)
        handed = self._handed(ctx)
        attempt = 0
        while True:
            try:
                await self._attempt(ctx, handed, phases)
                return
            except (Skipped, PlaylistFound):
                # The worker is gone by now, so nothing writes into the folder after this.
                discard_partial(ctx.download_dir, ctx.job.id)
                raise
            except (_Retry, JobError) as exc:
                if handed is not None and not (
                    isinstance(exc, JobError) and exc.code in FINAL_CODES
                ):
                    # Most likely the URL expired while the job waited: ask the site again, at once.
                    ctx.log(
                        f"the extraction from add time did not work ({exc}): extracting again",
                        "warning",
                    )
                    handed = None
                    continue
                if isinstance(exc, JobError):
                    _remove_if_empty(temp_dir(ctx.download_dir, ctx.job.id))
                    raise
                attempt += 1
                if attempt > ctx.config.retries:
                    raise JobError("network", f"{exc} (gave up after {attempt} attempts)") from None
                ctx.log(f"{exc}; retrying ({attempt}/{ctx.config.retries})", "warning")
                await asyncio.sleep(backoff_delay(attempt, base=1.0))

    def _request(self, ctx: JobContext) -> dict[str, Any]:
        proxy = job_route(ctx.job.url, ctx.job.options, ctx.config).for_ytdlp
        return base_request(
            ctx.job.url,
            ctx.job.options,
            shutil.which("ffmpeg"),
            ctx.config.user_agent,
            proxy,
            ctx.auth,
        )

    def _handed(self, ctx: JobContext) -> Extraction | None:
        """The extraction made at add time, if it is still there and usable."""
        if self.service is None:
            return None
        extraction = self.service.take(self._request(ctx))
        if extraction is None or not (extraction.direct or extraction.info):
            return None
        return extraction

    async def _attempt(self, ctx: JobContext, handed: Extraction | None, phases: Phases) -> None:
        """One try: a handed-over direct URL, else a
        worker that resolves and hands back or downloads."""
        job = ctx.job
        state: dict[str, Any] = job.state.setdefault("media", {})
        ffmpeg = shutil.which("ffmpeg")
        if handed is not None:
            phases.extracted(handed.seconds, "when the job was added, handed over")
            if handed.direct:
                self._on_info(ctx, handed.result, ffmpeg, state)
                await self._direct(ctx, handed.direct, state, phases)
                return
        stall = ctx.config.stall_timeout
        folder = temp_dir(ctx.download_dir, job.id)
        folder.mkdir(parents=True, exist_ok=True)
        fragments = int(job.options.get("connections") or ctx.config.connections)
        request = self._request(ctx)
        request.update(
            mode="download",
            direct_ok=True,
            retries=ctx.config.retries,
            socket_timeout=stall,
            alive_every=max(0.2, stall / 3),
            dir=str(folder),
            temp_dir=str(folder),
            # A fixed name inside the job's own folder: the title may change
            # between runs, the .part must not.
            outtmpl="media.%(ext)s",
            fragments=fragments,
        )
        if handed is not None:
            request["info"] = handed.info  # yt-dlp picks the format again, without asking the site
        worker = WorkerProcess(request, stall, pool=self.service.pool if self.service else None)
        asked = time.monotonic()
        await worker.start()
        last_checkpoint = time.monotonic()
        try:
            async for message in worker.messages():
                kind = message.get("type")
                if kind == "progress":
                    size = message.get("total") or job.size
                    done = int(message.get("downloaded") or 0)
                    if done:
                        phases.first_byte()
                    streams = fragments if message.get("fragment_count") else 1
                    ctx.progress(done, size, connections=streams)
                    if time.monotonic() - last_checkpoint >= CHECKPOINT_EVERY:
                        last_checkpoint = time.monotonic()
                        ctx.checkpoint()
                elif kind == "info":
                    if handed is None:
                        how = "warm worker" if worker.reused else "new worker"
                        phases.extracted(time.monotonic() - asked, how)
                    self._on_info(ctx, message, ffmpeg, state)
                elif kind == "log":
                    text = str(message.get("message"))
                    if text.startswith("post-processing") and phases.first_byte_at is not None:
                        phases.transferred(job.done)
                        phases.merging()
                    ctx.log(text, str(message.get("level") or "info"))
        except WorkerStalled as exc:
            raise _Retry(str(exc)) from None
        finally:
            # Pause, cancel and stop land here too: the worker never outlives the job's task.
            await asyncio.shield(worker.stop())
        result = self._result(worker.outcome)
        if result.get("kind") == "playlist":
            raise PlaylistFound(result)
        if result.get("handoff"):
            discard_partial(ctx.download_dir, job.id)
            await self._direct(ctx, result["chosen"]["direct"], state, phases)
            return
        await ctx.fence()  # in a fleet: still this node's job, or the file is another's
        await asyncio.to_thread(self._finish, ctx, Path(result["path"]), state)
        ctx.progress(int(result["size"]), int(result["size"]))
        phases.finished(int(result["size"]))

    async def _direct(
        self, ctx: JobContext, direct: dict[str, Any], state: dict[str, Any], phases: Phases
    ) -> None:
        """One plain file: the engine's segmented downloader fetches it, as it would any file."""
        job = ctx.job
        watch = asyncio.create_task(watch_first_byte(job, phases))
        try:
            job.path = str(
                await ctx.download_file(direct["url"], direct.get("headers"), state["name"])
            )
        finally:
            watch.cancel()
        phases.first_byte()
        phases.finished(job.size)

    def _on_info(
        self, ctx: JobContext, summary: dict[str, Any], ffmpeg: str | None, state: dict[str, Any]
    ) -> None:
        """The format is chosen: describe the job and settle its name before bytes flow."""
        self._describe(ctx, summary, ffmpeg)
        chosen = summary["chosen"]
        wanted = ctx.job.options.get("filename")
        name = (
            state.get("name")
            or (None if wanted else plain_file_name(ctx.job.url, chosen.get("ext")))
            or media_filename(summary.get("title"), chosen.get("ext"), wanted)
        )
        if chosen.get("direct"):
            state["direct"] = True  # the HTTP engine places the file (duplicates, .part, resume)
        elif "name" not in state or state.get("direct"):
            name = self._place(ctx, name)
            state["direct"] = False
        state["name"] = name
        ctx.update(filename=name)
        ctx.checkpoint()

    def _describe(self, ctx: JobContext, summary: dict[str, Any], ffmpeg: str | None) -> None:
        """Job fields from the resolved format, and why a quality was lowered."""
        chosen = summary["chosen"]
        quality = ctx.job.options.get("quality") or "best"
        note = None
        if not ctx.job.options.get("format"):
            note = lowered_note(
                quality,
                chosen.get("height"),
                summary.get("heights") or [],
                ffmpeg=ffmpeg is not None,
                has_audio=bool(chosen.get("has_audio")),
            )
        if ffmpeg is None and note is None and format_choice(ctx.job.options, ffmpeg).note:
            note = "ffmpeg is not installed: only formats that need no merge were considered"
        media = {
            "title": summary.get("title"),
            "format": chosen.get("format"),
            "quality": quality,
            "thumbnail": summary.get("thumbnail"),
            "height": chosen.get("height"),
            "note": note,
        }
        fields: dict[str, Any] = {"kind": "media", "media": media}
        if chosen.get("size"):
            fields["size"] = chosen["size"]
        ctx.update(**fields)
        if note:
            ctx.log(note, "warning")

    @staticmethod
    def _duplicate_action(ctx: JobContext) -> str:
        job = ctx.job
        return str(
            job.state.get("on_duplicate")
            or job.options.get("on_duplicate")
            or ctx.config.on_duplicate
        )

    def _place(self, ctx: JobContext, name: str) -> str:
        """The final name, decided before downloading: ask and skip act now."""
        folder = ctx.folder_for(name, "", ctx.job.url)  # its category's folder
        target = folder / name
        if not os.path.lexists(target):  # a symlink, even dangling, is an existing file
            return name
        action = self._duplicate_action(ctx)
        if action == "ask":
            raise NeedsDecision(target)
        if action == "skip":
            raise Skipped(target)
        if action == "overwrite":
            return name
        return unique_name(name, lambda n: os.path.lexists(folder / n))

    def _finish(self, ctx: JobContext, part: Path, state: dict[str, Any]) -> None:
        """Move the finished file into the download dir under its final name (atomic rename)."""
        job = ctx.job
        name = state["name"]
        if part.suffix and not name.endswith(part.suffix):  # the merge chose another container
            name = f"{name.rsplit('.', 1)[0]}{part.suffix}"
        folder = ctx.folder_for(name, "", ctx.job.url)  # as decided in _place
        os.makedirs(folder, exist_ok=True)
        target = folder / name
        if os.path.lexists(target) and self._duplicate_action(ctx) != "overwrite":
            # Someone made a file of that name while we downloaded: never clobber it.
            target = folder / unique_name(name, lambda n: os.path.lexists(folder / n))
        os.replace(part, target)
        discard_partial(ctx.download_dir, job.id)
        job.path = str(target)
        ctx.update(filename=target.name, size=target.stat().st_size)

    @staticmethod
    def _result(outcome: WorkerOutcome) -> dict[str, Any]:
        """The worker's result, or the error it ended with as JobError / _Retry."""
        if outcome.result is not None:
            return outcome.result
        if outcome.crashed:
            raise JobError("media", outcome.message())
        kind = str((outcome.error or {}).get("kind"))
        if kind in RETRIED_KINDS:
            raise _Retry(outcome.message())
        raise JobError(error_code(kind), outcome.message())
