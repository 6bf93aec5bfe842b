"""``probe_media``: what a URL offers according to yt-dlp, asked of a worker.

Called by the engine for ``jobs.probe`` and for ``mode: auto`` decisions;
a URL yt-dlp cannot handle raises ``UrlNotSupported``.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

from idmd.engine.media.process import run_worker
from idmd.engine.media.request import base_request, media_filename
from idmd.protocol.errors import UrlNotSupported

PROBE_TIMEOUT = 60.0  # seconds of worker silence before a probe gives up


async def probe_media(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``{kind, title, filename, size, duration, thumbnail, formats, qualities, entries}``."""
    request = {**base_request(url, options, shutil.which("ffmpeg")), "mode": "probe"}
    outcome = await run_worker(request, stall_timeout=PROBE_TIMEOUT)
    if outcome.result is None:
        kind = (outcome.error or {}).get("kind") or "crash"
        raise UrlNotSupported(outcome.message(), data={"reason": kind})
    result = {k: v for k, v in outcome.result.items() if k != "type"}
    chosen = result.pop("chosen", None) or {}
    result.setdefault("entries", [])
    result.setdefault("formats", [])
    result.setdefault("qualities", [])
    if result["kind"] == "media":
        result["filename"] = media_filename(result.get("title"), chosen.get("ext"), options.get("filename"))
        result["size"] = chosen.get("size")
        result["format"] = chosen.get("format")
        result["resumable"] = True
    else:
        result["filename"] = None
        result["size"] = None
    return result
