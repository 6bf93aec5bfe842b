"""``probe_media``: what a URL offers according to yt-dlp, in the shape of ``jobs.probe``.

Called by the engine for ``jobs.probe`` and ``jobs.add`` (mode media); a URL
yt-dlp cannot handle raises ``UrlNotSupported``. With the engine's
``MediaService`` the worker is a warm one and the extraction is kept for the
job that follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idmd.engine.http.auth import Auth
from idmd.engine.media.plain_name import plain_file_name
from idmd.engine.media.request import media_filename
from idmd.engine.media.service import Extraction, MediaService, extract


async def probe_media(
    url: str,
    options: Mapping[str, Any],
    service: MediaService | None = None,
    user_agent: str = "",
    proxy: str | None = None,
    auth: Auth | None = None,
) -> dict[str, Any]:
    """``{kind, title, filename, size, duration, thumbnail, formats, qualities, entries}``
    (``proxy``: yt-dlp's, see ``base_request``)."""
    if service is None:
        extraction = await extract(url, options, user_agent, proxy=proxy, auth=auth)
    else:
        extraction = await service.extract(url, options, user_agent, proxy, auth)
    return describe(url, extraction, options)


def describe(url: str, extraction: Extraction, options: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(extraction.result)
    chosen = result.pop("chosen", None) or {}
    result.setdefault("entries", [])
    result.setdefault("formats", [])
    result.setdefault("qualities", [])
    if result["kind"] == "media":
        wanted = options.get("filename")
        result["filename"] = (
            None if wanted else plain_file_name(url, chosen.get("ext"))
        ) or media_filename(result.get("title"), chosen.get("ext"), wanted)
        result["size"] = chosen.get("size")
        result["format"] = chosen.get("format")
        result["resumable"] = True
    else:
        result["filename"] = None
        result["size"] = None
    return result
