"""Checking ``jobs.add`` options and URLs before a job exists, and the request headers.

Bad input is refused here with ``InvalidParams`` naming the parameter (or
``UrlNotSupported``), so a job never starts from something it cannot use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from idmd import __version__
from idmd.core.checksum import parse_checksum
from idmd.core.filenames import sanitize
from idmd.protocol.errors import InvalidParams, UrlNotSupported
from idmd.protocol.jobs import DUPLICATE_ACTIONS, MODES, QUALITIES, START_MODES

KNOWN = frozenset(
    {
        "dir", "filename", "connections", "quality", "format", "headers", "cookies", "referer",
        "user_agent", "checksum", "start", "priority", "on_duplicate", "mode", "speed_limit",
    }
)
_FORBIDDEN_HEADERS = frozenset({"host", "range", "content-length", "transfer-encoding", "connection"})


def check_url(url: Any) -> str:
    """The URL, stripped; refuses anything but absolute http(s) URLs with a host."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidParams("url must be a non-empty string", data={"param": "url"})
    url = url.strip()
    if any(ord(ch) < 32 for ch in url):
        raise InvalidParams("url contains control characters", data={"param": "url"})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise InvalidParams(f"url is not a valid URL: {exc}", data={"param": "url"}) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UrlNotSupported(
            f"only http and https URLs can be downloaded, not {parts.scheme or 'no scheme'}:",
            data={"param": "url", "scheme": parts.scheme},
        )
    if not parts.hostname:
        raise InvalidParams("url has no host", data={"param": "url"})
    return url


def _bad(name: str, why: str) -> InvalidParams:
    return InvalidParams(f"{name}: {why}", data={"param": name})


def check_options(options: Any) -> dict[str, Any]:
    """A clean copy of ``options``; raises ``InvalidParams`` naming the first bad one."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise _bad("options", "must be an object")
    unknown = sorted(set(options) - KNOWN)
    if unknown:
        raise _bad(unknown[0], "unknown option")
    clean = {k: v for k, v in options.items() if v is not None}
    for name in ("dir", "filename", "referer", "user_agent", "format"):
        if name in clean and not isinstance(clean[name], str):
            raise _bad(name, "must be a string")
    if "filename" in clean:
        name = sanitize(clean["filename"], fallback="")
        if not name:
            raise _bad("filename", "nothing is left after removing unsafe characters")
        clean["filename"] = name
    _int_option(clean, "connections", 1, 32)
    _int_option(clean, "priority", -1000, 1000)
    _int_option(clean, "speed_limit", 0, 1 << 40)
    for name, allowed in (("quality", QUALITIES), ("start", START_MODES), ("on_duplicate", DUPLICATE_ACTIONS), ("mode", MODES)):
        if name in clean and clean[name] not in allowed:
            raise _bad(name, f"must be one of {', '.join(allowed)}")
    if "checksum" in clean:
        if not isinstance(clean["checksum"], str):
            raise _bad("checksum", "must be a string like sha256=HEX")
        try:
            clean["checksum"] = str(parse_checksum(clean["checksum"]))
        except ValueError as exc:
            raise _bad("checksum", str(exc)) from None
    if "headers" in clean:
        headers = clean["headers"]
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise _bad("headers", "must be an object of strings")
        for key, value in headers.items():
            if not key or any(ord(c) < 33 or c == ":" for c in key) or any(c in value for c in "\r\n\0"):
                raise _bad("headers", f"bad header {key!r}")
            if key.lower() in _FORBIDDEN_HEADERS:
                raise _bad("headers", f"{key} is set by idmd")
    if "cookies" in clean:
        cookies = clean["cookies"]
        if isinstance(cookies, Mapping):
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in cookies.items()):
                raise _bad("cookies", "must be an object of strings or a Cookie header string")
        elif not isinstance(cookies, str) or any(c in cookies for c in "\r\n\0"):
            raise _bad("cookies", "must be an object of strings or a Cookie header string")
    for name in ("referer", "user_agent"):
        if name in clean and any(c in clean[name] for c in "\r\n\0"):
            raise _bad(name, "contains line breaks")
    return clean


def _int_option(options: dict[str, Any], name: str, low: int, high: int) -> None:
    if name not in options:
        return
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(name, f"must be an integer from {low} to {high}")


def request_headers(options: Mapping[str, Any], default_user_agent: str = "") -> dict[str, str]:
    """The headers every request of a job sends: the job's own, cookies, referer, user agent."""
    headers = {"User-Agent": options.get("user_agent") or default_user_agent or f"idm/{__version__}"}
    headers["Accept-Encoding"] = "identity"  # ranges must address the file's bytes, not gzip's
    headers.update(job_headers(options))
    return headers


def job_headers(options: Mapping[str, Any]) -> dict[str, str]:
    """The headers the job asked for: its own ``headers``, ``referer`` and ``cookies``."""
    headers = {str(k): str(v) for k, v in (options.get("headers") or {}).items()}
    if options.get("referer"):
        headers["Referer"] = str(options["referer"])
    cookies = options.get("cookies")
    if isinstance(cookies, Mapping):
        cookies = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if cookies:
        headers["Cookie"] = str(cookies)
    return headers
