"""``MediaService``: the engine's media state: the warm worker pool and extractions in flight.

An extraction made when a job is added (or probed) is kept here, keyed by
what the worker was asked, until the job's runner takes it: the download
starts from it instead of asking the site again. Kept briefly (direct URLs
expire) and bounded; the runner extracts again when a handed-over URL fails.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idmd.engine.http.auth import Auth
from idmd.engine.media.pool import WorkerPool
from idmd.engine.media.process import run_worker
from idmd.engine.media.request import base_request
from idmd.protocol.errors import UrlNotSupported

PROBE_TIMEOUT = 60.0  # seconds of worker silence before a probe gives up
KEEP_FOR = 600.0  # seconds an extraction waits for its job before it is dropped
KEEP_AT_MOST = 64  # extractions kept (probes never added must not pile up)
WARM_AFTER = 1.0  # seconds after the daemon starts before a spare worker (and TLS) warms up


@dataclass(frozen=True)
class Extraction:
    """What one worker run found: the summary and chosen format, and the info dict to hand over."""

    result: dict[str, Any]  # the worker's probe result without ``type`` and ``info``
    info: dict[str, Any] | None  # yt-dlp's info dict as JSON (None when too big to hand over)
    seconds: float  # how long it took, for the job log
    at: float  # time.monotonic() when it was made

    @property
    def direct(self) -> dict[str, Any] | None:
        """``{url, headers}`` when the chosen format is one plain file."""
        chosen = self.result.get("chosen") or {}
        return chosen.get("direct") if isinstance(chosen, dict) else None


def request_key(request: Mapping[str, Any]) -> str:
    """Two requests with the same key extract the same thing (URL, format, headers, ffmpeg)."""
    return json.dumps(
        {k: request.get(k) for k in ("url", "format", "ffmpeg", "headers")}, sort_keys=True
    )


async def extract(
    url: str,
    options: Mapping[str, Any],
    user_agent: str = "",
    pool: WorkerPool | None = None,
    proxy: str | None = None,
    auth: Auth | None = None,
) -> Extraction:
    """One probe-mode worker run; a URL yt-dlp cannot handle raises ``UrlNotSupported``."""
    request = {
        **base_request(url, options, shutil.which("ffmpeg"), user_agent, proxy, auth),
        "mode": "probe",
    }
    started = time.monotonic()
    outcome = await run_worker(request, stall_timeout=PROBE_TIMEOUT, pool=pool)
    if outcome.result is None:
        kind = (outcome.error or {}).get("kind") or "crash"
        raise UrlNotSupported(outcome.message(), data={"reason": kind})
    result = {k: v for k, v in outcome.result.items() if k not in ("type", "info")}
    info = outcome.result.get("info")
    return Extraction(
        result,
        info if isinstance(info, dict) else None,
        time.monotonic() - started,
        time.monotonic(),
    )


class MediaService:
    def __init__(self, pool: WorkerPool | None = None, keep_for: float = KEEP_FOR) -> None:
        self.pool = pool or WorkerPool()
        self.keep_for = keep_for
        self._kept: OrderedDict[str, Extraction] = OrderedDict()
        self._warm: asyncio.TimerHandle | None = None

    def warm(self, after: float = WARM_AFTER) -> None:
        """Have a warm worker ready soon (after the daemon's own start-up, not during it)."""
        self._warm = asyncio.get_running_loop().call_later(after, self.pool.fill)

    async def extract(
        self,
        url: str,
        options: Mapping[str, Any],
        user_agent: str = "",
        proxy: str | None = None,
        auth: Auth | None = None,
    ) -> Extraction:
        """A fresh extraction kept for the job's runner,
        or the one kept from a probe a moment ago."""
        key = request_key(base_request(url, options, shutil.which("ffmpeg"), user_agent))
        kept = self._fresh(key)
        if kept is not None:
            return kept
        extraction = await extract(url, options, user_agent, self.pool, proxy, auth)
        if (
            extraction.result.get("kind") == "media"
        ):  # a playlist's run looks at it again, as a video
            self._kept[key] = extraction
            self._kept.move_to_end(key)
            while len(self._kept) > KEEP_AT_MOST:
                self._kept.popitem(last=False)
        return extraction

    def take(self, request: Mapping[str, Any]) -> Extraction | None:
        """The kept extraction for this request, once: a second run extracts afresh."""
        extraction = self._fresh(request_key(request))
        self._kept.pop(request_key(request), None)
        return extraction

    def _fresh(self, key: str) -> Extraction | None:
        extraction = self._kept.get(key)
        if extraction is not None and time.monotonic() - extraction.at > self.keep_for:
            del self._kept[key]
            return None
        return extraction

    async def close(self) -> None:
        if self._warm is not None:
            self._warm.cancel()
        self._kept.clear()
        await self.pool.close()
