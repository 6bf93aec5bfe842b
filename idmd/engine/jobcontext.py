"""``RunContext``: the engine's ``JobContext``, what a runner sees of the engine.

Progress goes to the ticker (which rate-limits events), logs and field
changes become events at once, checkpoints go to the Store's write queue.
It holds only what it is handed (``ContextServices``), never the engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from idmd.config import Config
from idmd.core.checksum import parse_checksum
from idmd.core.filenames import choose_filename
from idmd.core.proxyurl import Route
from idmd.core.userinfo import scrub, secrets_of
from idmd.engine import categorize
from idmd.engine.credentials import Credentials, job_auth
from idmd.engine.http.download import HttpDownload
from idmd.engine.http.response import ResponseInfo
from idmd.engine.jobs import Job
from idmd.engine.limits import HostSlots, RateLimiter
from idmd.engine.options import request_headers
from idmd.engine.placement import Reservations, place
from idmd.engine.sessions import job_route
from idmd.events import EventBus
from idmd.protocol.events import EventType

log = logging.getLogger(__name__)
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
VISIBLE_FIELDS = frozenset(
    {"filename", "path", "size", "media", "kind", "url", "playlist", "category"}
)


@dataclass(frozen=True)
class ContextServices:
    """The engine's shared parts a runner may reach, handed in once by the engine."""

    config: Callable[[], Config]  # the current config (``config.set`` replaces it)
    session: Callable[
        [Route], aiohttp.ClientSession
    ]  # the session of a way out (idmd.engine.sessions)
    bus: EventBus
    store: Any  # idmd.store.Store: save_job, checkpoint
    touch: Callable[[str], None]  # the ticker: this job's progress changed
    hosts: HostSlots
    reservations: Reservations
    transferred: Callable[[str], None]  # this job's bytes are all in: its slot is free
    credentials: Credentials = field(
        default_factory=lambda: Credentials(None)
    )  # stored per site, ~/.netrc
    fence: Callable[[Job], Awaitable[None]] | None = None  # a fleet's: may this job finish here?


class RunContext:
    def __init__(
        self, services: ContextServices, job: Job, limiter: RateLimiter, download_dir: Path
    ) -> None:
        self._services = services
        self.job = job
        self.limiter = limiter
        self.download_dir = download_dir
        self.auth = job_auth(job.url, job.options, services.credentials)

    @property
    def config(self) -> Config:
        return self._services.config()

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._services.session(job_route(self.job.url, self.job.options, self.config))

    def progress(self, done: int, size: int | None, connections: int = 1) -> None:
        self.job.done = done
        if size is not None:
            self.job.size = size
        self.job.connections = connections
        self._services.touch(self.job.id)

    def log(self, message: str, level: str = "info") -> None:
        level = level if level in _LEVELS else "info"
        message = scrub(message, secrets_of(self.job.options))
        log.log(_LEVELS[level], "job %s: %s", self.job.id, message)
        self._services.bus.emit(
            EventType.JOB_LOG, self.job.id, {"level": level, "message": message}
        )

    def update(self, **fields: Any) -> None:
        changed = {}
        for key, value in fields.items():
            if key not in VISIBLE_FIELDS:
                raise ValueError(f"{key} is not a field a runner may change")
            if getattr(self.job, key) != value:
                setattr(self.job, key, value)
                changed[key] = value
        if changed:
            self._services.store.save_job(self.job.to_store())
            self._services.bus.emit(EventType.JOB_UPDATED, self.job.id, changed)

    def transferred(self) -> None:
        self._services.transferred(self.job.id)

    async def fence(self) -> None:
        if self._services.fence is not None:
            await self._services.fence(self.job)

    def checkpoint(self, segments: list[list[int]] | None = None) -> None:
        rows = self.job.segment_lists() if segments is None else segments
        done = sum(row[2] for row in rows) if rows else self.job.done
        self._services.store.checkpoint(self.job.id, done, rows, self.job.state)

    def folder_for(self, name: str, mime: str, url: str) -> Path:
        """The folder the file goes to, by its category (decided once, kept in ``job.state``)."""
        kept = self.job.state.get("category")
        if isinstance(kept, dict) and kept.get("folder"):
            return Path(kept["folder"])
        roots = [self.download_dir, *(Path(d) for d in self.config.allowed_dirs)]
        decision = categorize.decide(
            self.config, self.job.options, self.download_dir, roots, name, mime, url
        )
        # Resolved (place() compares parents), created only when the file is written there,
        # so a job cancelled before that leaves no empty folder behind. The job's own folder
        # was resolved by the engine (once per folder): only a category's needs it here.
        folder = (
            decision.folder
            if decision.folder == self.download_dir
            else Path(os.path.realpath(decision.folder))
        )
        if decision.warning:
            self.log(decision.warning, "warning")
        self.job.state["category"] = {"name": decision.category, "folder": str(folder)}
        if decision.category:
            self.update(category=decision.category)
        return folder

    async def download_file(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        filename: str | None = None,
        *,
        detect_media: bool = False,
    ) -> Path:
        """The segmented HTTP download of ``url`` for this job (``detect_media``: mode auto)."""
        options = self.job.options
        if self.auth is not None and self.auth.source != "job":
            source = "from ~/.netrc" if self.auth.source == "netrc" else "stored credentials"
            self.log(f"as {self.auth.user} ({source})")
        all_headers = request_headers(options, self.config.user_agent)
        all_headers.update(headers or {})
        checksum = parse_checksum(options["checksum"]) if options.get("checksum") else None
        on_duplicate = (
            self.job.state.get("on_duplicate")
            or options.get("on_duplicate")
            or self.config.on_duplicate
        )

        def placer(info: ResponseInfo) -> tuple[Path, bool]:
            name = choose_filename(
                info.final_url, info.content_disposition, filename, info.content_type
            )
            folder = self.folder_for(name, info.content_type, info.final_url)
            categorize.make_folder(folder)
            return place(self._services.reservations, self.job.id, folder, name, on_duplicate)

        download = HttpDownload(
            self,
            url,
            all_headers,
            self._services.hosts,
            placer,
            connections=int(options.get("connections") or self.config.connections),
            checksum=checksum,
            detect_media=detect_media,
        )
        return await download.run()
