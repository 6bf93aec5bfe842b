"""Frame encoding for the two WebSocket subprotocols: JSON text and msgpack binary.

Shared by the server and the client library; pure, so a codec error is just
a ``ValueError`` that the caller turns into -32700.

Both directions are strict, so no frame a strict JSON parser rejects ever
leaves the daemon: ``NaN``, ``Infinity``, numbers that overflow a double
(``1e400``) and integers beyond 64 bits are decoded as ``Unrepresentable``
markers (every parameter check refuses them, -32602); a string with a lone
surrogate (``"\\udcff"``) is not valid Unicode and the frame is a parse
error; encoding refuses NaN and text that cannot be UTF-8.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal

import msgpack

from idmd.core.text import has_surrogates
from idmd.protocol import SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK

CodecName = Literal["json", "msgpack"]
SUBPROTOCOLS: dict[str, CodecName] = {SUBPROTOCOL_JSON: "json", SUBPROTOCOL_MSGPACK: "msgpack"}
SUBPROTOCOL_OF: dict[CodecName, str] = {"json": SUBPROTOCOL_JSON, "msgpack": SUBPROTOCOL_MSGPACK}

INT_MIN, INT_MAX = -(1 << 63), (1 << 64) - 1  # what msgpack can carry
_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89a-fA-F]"
)  # only escapes can bring a surrogate into JSON text


class Unrepresentable:
    """A number in a JSON frame that has no exact value here (NaN, ±Infinity, 1e400, 2**64).
    It matches no parameter type, so the request is refused naming the parameter."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text[:40]

    __str__ = __repr__


def _float(text: str) -> float | Unrepresentable:
    value = float(text)
    return value if math.isfinite(value) else Unrepresentable(text)


def _int(text: str) -> int | Unrepresentable:
    if len(text) > 21:  # cheaper than int() for absurd lengths, and no 4300-digit ValueError
        return Unrepresentable(text)
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else Unrepresentable(text)


_DECODER = json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=Unrepresentable)


def _default(value: Any) -> Any:
    # Paths, enums and other stray objects become strings rather than a crash.
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def to_json(message: Any) -> str:
    """Strict JSON text: ValueError for NaN or a string that is not valid Unicode."""
    text = json.dumps(
        message, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
    )
    if not text.isascii() and has_surrogates(text):
        raise ValueError("a string that is not valid Unicode (lone surrogate)")
    return text


def encode(codec: CodecName, message: Any) -> str | bytes:
    """A JSON text frame (str) or a msgpack binary frame (bytes); ValueError (or TypeError,
    OverflowError) when ``message`` holds something no strict peer could read."""
    if codec == "json":
        return to_json(message)
    return msgpack.packb(message, default=_default, use_bin_type=True)  # lone surrogates raise here


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if has_surrogates(value):
            raise ValueError("a string holds a lone surrogate (not valid Unicode)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def decode(codec: CodecName, frame: str | bytes) -> Any:
    """The message in ``frame``; raises ValueError when it cannot be decoded."""
    if codec == "json":
        if isinstance(frame, bytes):
            frame = frame.decode("utf-8")  # UnicodeDecodeError is a ValueError
        try:
            message = _DECODER.decode(frame)
        except RecursionError:  # [[[[…]]]] nested deeper than Python's stack
            raise ValueError("nested too deeply") from None
        if _SURROGATE_ESCAPE.search(frame):
            _check_strings(message)  # "\ud83d\ude00" pairs are fine; a lone one is refused
        return message
    if isinstance(frame, str):
        # ValueError means -32700
        raise ValueError("a text frame on the msgpack subprotocol")  # noqa: TRY004
    try:
        return msgpack.unpackb(frame, raw=False)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - msgpack raises several unrelated types for bad input
        raise ValueError(f"undecodable msgpack frame: {exc}") from None
