"""The value checks every declared option and parameter is built from.

Each takes a decoded JSON value and its path (``options.connections``) and
returns the clean value, or raises ``InvalidParams`` (-32602) whose message and
``data.param`` name that path. JSON is taken for what it is: neither a bool nor
a float (NaN, an infinity, 8.0) is an integer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from idmd.core.checksum import parse_checksum
from idmd.core.filenames import sanitize
from idmd.core.folders import FolderRefused, absolute_folder, check_folder
from idmd.core.proxyurl import ProxyUrlError, check_proxy
from idmd.protocol.errors import InvalidParams

MAX_URL = 8192
MAX_HEADERS = 64
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Set by idmd for every request: a job cannot override them.
_FORBIDDEN_HEADERS = frozenset(
    {"host", "range", "content-length", "transfer-encoding", "connection"}
)


def bad(path: str, message: str) -> InvalidParams:
    """-32602 for the parameter at ``path``: ``"options.connections: must be …"``."""
    return InvalidParams(f"{path}: {message}", {"param": path})


def integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad(path, f"must be an integer from {low} to {high}")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise bad(path, "must be true or false")
    return value


def one_line(value: Any, path: str, limit: int) -> str:
    """A string of at most ``limit`` characters without line breaks or NUL."""
    if not isinstance(value, str) or len(value) > limit or any(c in value for c in "\r\n\0"):
        raise bad(path, f"must be a one-line string of at most {limit} characters")
    return value


def choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if isinstance(value, bool) or value not in choices:
        raise bad(path, "must be one of " + ", ".join(choices))
    return str(value)


def string_list(value: Any, path: str, low: int, high: int, limit: int, what: str) -> list[str]:
    """A list of ``low..high`` one-line strings (``what`` names them in the message)."""
    if not isinstance(value, list) or not low <= len(value) <= high:
        raise bad(path, f"must list {low} to {high} {what}")
    for item in value:
        one_line(item, path, limit)
    return value


def folder(text: str, path: str) -> str:
    """An absolute folder, normalised: the daemon's working directory and ``~`` mean
    nothing to a client, so a relative folder is refused (see idmd.core.folders)."""
    try:
        return str(absolute_folder(text))
    except FolderRefused as exc:
        raise bad(path, str(exc)) from None


def confined(text: str, path: str, roots: Iterable[Path]) -> str:
    """``folder`` held inside ``roots`` (a paired client: the download folder and allowed_dirs)."""
    try:
        return str(check_folder(text, roots))
    except FolderRefused as exc:
        raise bad(path, str(exc)) from None


def filename(text: str, path: str) -> str:
    """``text`` made a safe file name (see idmd.core.filenames); refused when nothing is left."""
    name = sanitize(text, fallback="")
    if not name:
        raise bad(path, "nothing is left after removing unsafe characters")
    return name


def headers(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or len(value) > MAX_HEADERS:
        raise bad(path, f"must be an object of at most {MAX_HEADERS} header names to values")
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise bad(path, f"{name!r} is not a header name")
        if name.lower() in _FORBIDDEN_HEADERS:
            raise bad(path, f"{name} is set by idmd")
        one_line(text, path, MAX_URL)
    return dict(value)


def cookies(value: Any, path: str) -> str | dict[str, str]:
    if isinstance(value, Mapping):
        for name, text in value.items():
            if not isinstance(name, str):
                raise bad(path, "must be an object of strings or a Cookie header string")
            one_line(text, path, MAX_URL)
        return dict(value)
    return one_line(value, path, 65536)


def checksum(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise bad(path, "must be a string like sha256=HEX")
    try:
        return str(parse_checksum(value))
    except ValueError as exc:
        raise bad(path, str(exc)) from None


def proxy(value: Any, path: str) -> str:
    """A proxy URL (http, https, socks4, socks5, socks5h), normalised, or ``direct``."""
    text = one_line(value, path, MAX_URL)
    try:
        return check_proxy(text)
    except ProxyUrlError as exc:
        raise bad(path, str(exc)) from None
