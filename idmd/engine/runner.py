"""The seam between the engine and one kind of job (an HTTP file, a media item).

The engine owns the queue, the status and the events; a runner only moves
bytes for one job through the ``JobContext`` it is handed. Media support
(``idmd.engine.media.MediaRunner``) implements ``JobRunner`` against this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from idmd.core.text import valid_text
from idmd.protocol.models import JobError as ErrorInfo

if TYPE_CHECKING:
    import aiohttp

    from idmd.config import Config
    from idmd.engine.http.auth import Auth
    from idmd.engine.jobs import Job
    from idmd.engine.limits import RateLimiter


class JobError(Exception):
    """A job failed for a reason the user should read: becomes ``job.error``.

    ``code`` is a short stable word (``http``, ``network``, ``no_space``,
    ``checksum``, ``size``, ``media``, ...); ``message`` is for people.
    """

    def __init__(self, code: str, message: str) -> None:
        message = valid_text(message)  # reason phrases, tool output: raw bytes become text
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> ErrorInfo:
        return {"code": self.code, "message": self.message}


class NeedsDecision(Exception):
    """The target file exists and ``on_duplicate`` is ``ask``: the job waits."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class Skipped(Exception):
    """The target file exists and ``on_duplicate`` is ``skip``: the job ends without downloading."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class HandedOver(Exception):
    """Another node of a fleet took the job over (this one was cut off from the fleet): the
    run stops before the final rename, leaving the part file to that node, and the job ends
    here ``cancelled`` with ``error`` (code ``handed_over``), never completed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.error: ErrorInfo = {"code": "handed_over", "message": message}


class JobContext(Protocol):
    """What a runner may use. Everything here is safe to call from the event loop."""

    job: Job  # the in-memory record: id, url, options, filename, path, size, done, media, state
    download_dir: Path  # the job's target folder (options.dir or the daemon's), already created
    limiter: RateLimiter  # global + this job's speed limit: ``await limiter.consume(n)``
    auth: (
        Auth | None
    )  # the job's user and password (its own, stored or ~/.netrc), for its URL's host

    @property
    def config(self) -> Config:
        """The current config (read it each time: ``config.set`` changes it)."""

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session of this job's way out (its proxy, the config's, or the environment's
        ``HTTP_PROXY``), shared with every job going the same way; TLS verified."""

    def progress(self, done: int, size: int | None, connections: int = 1) -> None:
        """Bytes done so far; the engine computes speed/eta and emits at most 10/s."""

    def log(self, message: str, level: str = "info") -> None:
        """A ``job.log`` event and a daemon log line."""

    def update(self, **fields: Any) -> None:
        """Change visible Job fields (``filename``,
        ``size``, ``media``, ``kind``): ``job.updated``."""

    def transferred(self) -> None:
        """Every byte is received: the rest (sync, checks, rename) needs no download slot, so
        the engine may start the next queued job meanwhile (many small files: the final sync
        of one overlaps the transfer of the next)."""

    def checkpoint(self, segments: list[list[int]] | None = None) -> None:
        """Persist the done bytes, the segments and ``job.state`` (the runner's resume data, JSON).

        ``segments`` is a snapshot of ``[[start, end, done], ...]`` taken before
        the data was made durable (default: the job's current segments).

        Call it only when what it records is durable (the engine's HTTP runner
        fdatasyncs first). The engine calls the runner's own checkpointing for
        HTTP; a media runner calls this itself when its worker reports progress.
        """

    async def fence(self) -> None:
        """Before the file takes its final name: in a fleet, raises ``HandedOver`` when the job
        is another node's now (waiting while the fleet cannot be asked); alone, returns."""

    def folder_for(self, name: str, mime: str, url: str) -> Path:
        """The folder a file of this name and type goes to: its category's folder, or
        ``download_dir`` (decided on the first call, the same on later ones)."""

    async def download_file(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        filename: str | None = None,
        *,
        detect_media: bool = False,
    ) -> Path:
        """Fetch ``url`` with the segmented HTTP engine into this job's folder.

        ``filename`` is sanitised and de-duplicated per ``on_duplicate``; progress,
        checkpoints, resume and limits all apply to this job. Returns the final
        path (the file is complete and verified). Raises ``JobError``, and with
        ``detect_media`` ``NotAFile`` when the first response is a page or a
        stream manifest (mode ``auto``: the job then goes to the media runner).
        """
        ...


class JobRunner(Protocol):
    """One kind of job. ``run`` returns when the file is complete (``job.path`` set).

    - raise ``JobError`` to fail the job with a clear message;
    - ``asyncio.CancelledError`` means pause, cancel or daemon stop: leave the
      partial data and ``job.state`` so a later ``run`` resumes, then re-raise;
    - ``run`` is called again on resume and after a daemon restart, with
      ``job.state`` as last checkpointed.
    """

    async def run(self, ctx: JobContext) -> None: ...


def media_probe_result(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise what ``idmd.engine.media.probe_media`` returns to the probe shape."""
    result = dict(raw)
    result.setdefault("kind", "media")
    result.setdefault("formats", [])
    result.setdefault("qualities", [])
    result.setdefault("entries", [])
    return result
