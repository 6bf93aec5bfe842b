"""``jobs.probe``: what a URL is before it is added (a file, or media for yt-dlp).

One ranged GET whose headers are read and whose body is not; pages and
stream manifests go on to the media probe (yt-dlp, in a worker process).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from idmd.config import Config
from idmd.core.filenames import choose_filename
from idmd.engine.http.auth import Auth
from idmd.engine.http.errors import FetchError
from idmd.engine.http.fetch import open_response
from idmd.engine.http.response import looks_like_media, read_headers
from idmd.engine.media import MediaService, probe_media
from idmd.engine.options import request_headers
from idmd.engine.runner import media_probe_result
from idmd.engine.sessions import job_route
from idmd.protocol.errors import UrlNotSupported
from idmd.protocol.models import JobOptions


async def probe_url(
    session: aiohttp.ClientSession,
    media: MediaService,
    config: Config,
    url: str,
    options: JobOptions,
    auth: Auth | None = None,
) -> dict[str, Any]:
    """What ``url`` is; yt-dlp's view comes from a warm worker, and the extraction is kept
    for a ``jobs.add`` that follows."""
    mode = options.get("mode", "auto")
    proxy = job_route(url, options, config).for_ytdlp
    if mode == "media":
        return media_probe_result(
            await probe_media(url, options, media, config.user_agent, proxy, auth)
        )
    headers = request_headers(options, config.user_agent)
    try:
        # bytes=0-0: a range-capable server says the size in Content-Range and sends one byte.
        response = await open_response(session, url, headers, 0, 1, config.stall_timeout, auth)
    except FetchError as exc:
        raise UrlNotSupported(exc.message, data={"reason": exc.code}) from None
    try:
        info = read_headers(response.status, str(response.url), response.headers, 0)
    finally:
        response.close()
    if mode == "auto" and looks_like_media(info.content_type, info.final_url):
        try:
            return media_probe_result(
                await probe_media(url, options, media, config.user_agent, proxy, auth)
            )
        except UrlNotSupported:
            pass  # not media after all: describe it as the file it is
    return {
        "kind": "file",
        "url": url,
        "final_url": info.final_url,
        "filename": choose_filename(
            info.final_url, info.content_disposition, options.get("filename"), info.content_type
        ),
        "size": info.size,
        "resumable": info.ranges,
        "content_type": info.content_type,
        "formats": [],
        "qualities": [],
        "entries": [],
    }
