"""The value checks every declared option and parameter is built from.

Each takes a decoded JSON value and its path (``options.connections``) and
returns the clean value, or raises ``InvalidParams`` (-32602) whose message and
``data.param`` name that path. JSON is taken for what it is: neither a bool nor
a float (NaN, an infinity, 8.0) is an integer.
"""

from __future__ import annotations

from typing import Any

from idmd.protocol.errors import InvalidParams


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
