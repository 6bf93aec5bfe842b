"""Job options to a worker request, and worker errors to what the user reads.

Pure: headers, cookies and the format selection are assembled here so the
probe and the runner send the worker the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idmd.core.filenames import sanitize, split_ext
from idmd.core.formats import FormatChoice, choose_format
from idmd.engine.http.auth import Auth
from idmd.engine.options import job_headers

# Worker error kinds that deserve another attempt; the rest fail the job at once.
RETRIED_KINDS = frozenset({"network", "paused"})


def request_headers(options: Mapping[str, Any], default_user_agent: str = "") -> dict[str, str]:
    """HTTP headers for yt-dlp: the job's own, and its user agent (else yt-dlp's).

    yt-dlp scopes a Cookie header to the URL's domain (its own cookie jar).
    """
    headers = job_headers(options)
    user_agent = options.get("user_agent") or default_user_agent
    if user_agent:
        headers["User-Agent"] = str(user_agent)
    return headers


def format_choice(options: Mapping[str, Any], ffmpeg: str | None) -> FormatChoice:
    return choose_format(
        options.get("quality"), ffmpeg=ffmpeg is not None, raw=options.get("format")
    )


def base_request(
    url: str,
    options: Mapping[str, Any],
    ffmpeg: str | None,
    default_user_agent: str = "",
    proxy: str | None = None,
    auth: Auth | None = None,
) -> dict[str, Any]:
    """The worker's request; ``proxy`` is yt-dlp's ``proxy``: the job's way out as
    idmd.core.proxyurl.Route.for_ytdlp gives it (a URL, "" for none). ``auth``: the job's
    own, stored or netrc credentials (idmd.engine.credentials.job_auth), which the worker
    sends to their host only; the request goes on the worker's stdin, never its argv."""
    request = {
        "url": url,
        "format": format_choice(options, ffmpeg).selector,
        "ffmpeg": ffmpeg,
        "headers": request_headers(options, default_user_agent),
    }
    if proxy is not None:
        request["proxy"] = proxy
    if auth is not None:
        request["auth"] = {"host": auth.host, "user": auth.user, "password": auth.password}
    return request


def media_filename(title: str | None, ext: str | None, wanted: str | None = None) -> str:
    """The final name: the user's ``filename`` or the title, sanitised, with the right extension."""
    ext = (ext or "mp4").strip(".")
    if wanted:
        name = sanitize(wanted)
        return name if split_ext(name)[1] else f"{name}.{ext}"
    return sanitize(f"{(title or 'media').strip()}.{ext}", fallback=f"media.{ext}")


def error_code(kind: str | None) -> str:
    """``job.error.code`` for a worker error kind (geo, age and login keep their names)."""
    return kind if kind in ("geo", "age", "login", "unsupported", "network") else "media"
