"""Validation of the parameters the annotations cannot express: job options,
URLs, ids, patches. Each error is -32602 naming the parameter (``data.param``)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from idmd.protocol.errors import InvalidParams, UrlNotSupported
from idmd.protocol.jobs import DUPLICATE_ACTIONS, MODES, QUALITIES, START_MODES

MAX_URL = 8192
MAX_IDS = 10_000
_CHECKSUM = re.compile(r"^(sha256=[0-9a-fA-F]{64}|sha1=[0-9a-fA-F]{40}|md5=[0-9a-fA-F]{32})$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def bad(param: str, message: str) -> InvalidParams:
    return InvalidParams(f"{param}: {message}", {"param": param})


def check_url(url: str, param: str = "url") -> str:
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise bad(param, f"must be a URL of 1 to {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:  # "http://[::1/": a malformed URL is the caller's error, not ours
        raise bad(param, f"is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UrlNotSupported(f"only http and https URLs can be downloaded, not {url[:100]!r}", {"param": param})
    return url


def _str(param: str, value: Any, limit: int = 4096) -> str:
    if not isinstance(value, str) or len(value) > limit or any(c in value for c in "\r\n\0"):
        raise bad(param, f"must be a one-line string of at most {limit} characters")
    return value


def _int(param: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f">= {low}"
        raise bad(param, f"must be an integer {span}")
    return value


def _choice(param: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise bad(param, "must be one of " + ", ".join(choices))
    return str(value)


def _headers(param: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > 64:
        raise bad(param, "must be an object of at most 64 header names to values")
    for name, text in value.items():
        if not _HEADER_NAME.match(name):
            raise bad(param, f"{name!r} is not a header name")
        _str(f"{param}.{name}", text, 8192)
    return dict(value)


def _cookies(param: str, value: Any) -> str | dict[str, str]:
    if isinstance(value, dict):
        for name, text in value.items():
            _str(f"{param}.{name}", text, 8192)
        return dict(value)
    return _str(param, value, 65536)


def _checksum(param: str, value: Any) -> str:
    if not isinstance(value, str) or not _CHECKSUM.match(value):
        raise bad(param, "must be sha256=HEX, sha1=HEX or md5=HEX")
    return value


def _bool(param: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad(param, "must be true or false")
    return value


OPTION_CHECKS: dict[str, Any] = {
    "dir": lambda p, v: _str(p, v),
    "filename": lambda p, v: _str(p, v, 1024),
    "connections": lambda p, v: _int(p, v, 1, 32),
    "quality": lambda p, v: _choice(p, v, QUALITIES),
    "format": lambda p, v: _str(p, v, 1024),
    "headers": _headers,
    "cookies": _cookies,
    "referer": lambda p, v: _str(p, v, MAX_URL),
    "user_agent": lambda p, v: _str(p, v, 1024),
    "checksum": _checksum,
    "start": lambda p, v: _choice(p, v, START_MODES),
    "priority": lambda p, v: _int(p, v, -1000, 1000),
    "on_duplicate": lambda p, v: _choice(p, v, DUPLICATE_ACTIONS),
    "mode": lambda p, v: _choice(p, v, MODES),
    "speed_limit": lambda p, v: _int(p, v, 0),
    "playlist": _bool,
}


def check_options(options: dict[str, Any] | None, param: str = "options") -> dict[str, Any]:
    """The options with each known key checked; an unknown key is an error naming it."""
    if options is None:
        return {}
    checked = {}
    for key, value in options.items():
        check = OPTION_CHECKS.get(key)
        if check is None:
            raise bad(f"{param}.{key}", "unknown option (known: " + ", ".join(OPTION_CHECKS) + ")")
        checked[key] = check(f"{param}.{key}", value)
    return checked


UPDATE_KEYS = ("priority", "connections", "speed_limit", "filename")


def check_patch(patch: dict[str, Any]) -> dict[str, Any]:
    if not patch:
        raise bad("patch", "must change at least one of " + ", ".join(UPDATE_KEYS))
    for key in patch:
        if key not in UPDATE_KEYS:
            raise bad(f"patch.{key}", "cannot be changed (only " + ", ".join(UPDATE_KEYS) + ")")
    return check_options(patch, "patch")


def check_ids(ids: list[str], param: str = "ids") -> list[str]:
    if not ids or len(ids) > MAX_IDS:
        raise bad(param, f"must list 1 to {MAX_IDS} job ids")
    for job_id in ids:
        _str(param, job_id, 128)
    return ids
