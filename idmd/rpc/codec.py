"""Frame encoding for the two WebSocket subprotocols: JSON text and msgpack binary.

Shared by the server and the client library; pure, so a codec error is just
a ``ValueError`` that the caller turns into -32700.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import msgpack

from idmd.protocol import SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK

CodecName = Literal["json", "msgpack"]
SUBPROTOCOLS: dict[str, CodecName] = {SUBPROTOCOL_JSON: "json", SUBPROTOCOL_MSGPACK: "msgpack"}
SUBPROTOCOL_OF: dict[CodecName, str] = {"json": SUBPROTOCOL_JSON, "msgpack": SUBPROTOCOL_MSGPACK}


def _default(value: Any) -> Any:
    # Paths, enums and other stray objects become strings rather than a crash.
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def encode(codec: CodecName, message: Any) -> str | bytes:
    """A JSON text frame (str) or a msgpack binary frame (bytes)."""
    if codec == "json":
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=_default)
    return msgpack.packb(message, default=_default, use_bin_type=True)


def decode(codec: CodecName, frame: str | bytes) -> Any:
    """The message in ``frame``; raises ValueError when it cannot be decoded."""
    if codec == "json":
        if isinstance(frame, bytes):
            frame = frame.decode("utf-8")  # UnicodeDecodeError is a ValueError
        try:
            return json.loads(frame)
        except RecursionError:  # [[[[…]]]] nested deeper than Python's stack
            raise ValueError("nested too deeply") from None
    if isinstance(frame, str):
        raise ValueError("a text frame on the msgpack subprotocol")  # noqa: TRY004 - ValueError means -32700
    try:
        return msgpack.unpackb(frame, raw=False)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - msgpack raises several unrelated types for bad input
        raise ValueError(f"undecodable msgpack frame: {exc}") from None
