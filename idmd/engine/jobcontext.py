"""``RunContext``: the engine's ``JobContext``, what a runner sees of the engine.

Progress goes to the ticker (which rate-limits events), logs and field
changes become events at once, checkpoints go to the Store's write queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from idmd.config import Config
from idmd.core.checksum import parse_checksum
from idmd.engine.http.download import HttpDownload
from idmd.engine.http.response import ResponseInfo
from idmd.engine.jobs import Job
from idmd.engine.limits import RateLimiter
from idmd.engine.options import request_headers
from idmd.engine.placement import place
from idmd.protocol.events import EventType

if TYPE_CHECKING:
    from idmd.engine.manager import Engine

log = logging.getLogger(__name__)
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
VISIBLE_FIELDS = frozenset({"filename", "path", "size", "media", "kind", "url", "playlist"})


class RunContext:
    def __init__(self, engine: Engine, job: Job, limiter: RateLimiter) -> None:
        self._engine = engine
        self.job = job
        self.limiter = limiter
        self.download_dir = engine.folder(job.download_dir)

    @property
    def config(self) -> Config:
        return self._engine.config

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._engine.session

    def progress(self, done: int, size: int | None, connections: int = 1) -> None:
        self.job.done = done
        if size is not None:
            self.job.size = size
        self.job.connections = connections
        self._engine.ticker.touch(self.job.id)

    def log(self, message: str, level: str = "info") -> None:
        level = level if level in _LEVELS else "info"
        log.log(_LEVELS[level], "job %s: %s", self.job.id, message)
        self._engine.bus.emit(EventType.JOB_LOG, self.job.id, {"level": level, "message": message})

    def update(self, **fields: Any) -> None:
        changed = {}
        for key, value in fields.items():
            if key not in VISIBLE_FIELDS:
                raise ValueError(f"{key} is not a field a runner may change")
            if getattr(self.job, key) != value:
                setattr(self.job, key, value)
                changed[key] = value
        if changed:
            self._engine.store.save_job(self.job.to_store())
            self._engine.bus.emit(EventType.JOB_UPDATED, self.job.id, changed)

    def checkpoint(self, segments: list[list[int]] | None = None) -> None:
        rows = self.job.segment_lists() if segments is None else segments
        done = sum(row[2] for row in rows) if rows else self.job.done
        self._engine.store.checkpoint(self.job.id, done, rows, self.job.state)

    async def download_file(
        self, url: str, headers: Mapping[str, str] | None = None, filename: str | None = None
    ) -> Path:
        return await self.fetch(url, headers, filename, detect_media=False)

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None, filename: str | None, detect_media: bool
    ) -> Path:
        """The segmented HTTP download of ``url`` for this job (``detect_media``: mode auto)."""
        options = self.job.options
        all_headers = request_headers(options, self.config.user_agent)
        all_headers.update(headers or {})
        checksum = parse_checksum(options["checksum"]) if options.get("checksum") else None
        on_duplicate = self.job.state.get("on_duplicate") or options.get("on_duplicate") or self.config.on_duplicate

        def placer(info: ResponseInfo) -> tuple[Path, bool]:
            return place(self._engine.reservations, self.job.id, self.download_dir, info, filename, on_duplicate)

        download = HttpDownload(
            self,
            url,
            all_headers,
            self._engine.hosts,
            placer,
            connections=int(options.get("connections") or self.config.connections),
            checksum=checksum,
            detect_media=detect_media,
        )
        return await download.run()
