"""Event frames, encoded once per codec and shared by every subscriber (Home
Assistant's pattern): fan-out to 100 clients costs one encoding, not 100."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Literal

from idmd.core.text import scrub
from idmd.protocol.events import Event, EventType
from idmd.rpc.codec import CodecName, encode, to_json

log = logging.getLogger(__name__)

Variant = CodecName | Literal["sse"]


def event_message(event: Event, detail: bool) -> dict[str, Any]:
    params = event.to_dict()
    if not detail and event.type is EventType.JOB_PROGRESS and "segments" in event.data:
        # Segments only go to subscribers that asked for the job's detail.
        params["data"] = {k: v for k, v in event.data.items() if k != "segments"}
    return {"jsonrpc": "2.0", "method": "event", "params": params}


def combine(codec: CodecName, frames: list[str | bytes]) -> str | bytes:
    """Several encoded messages as one batch frame (a JSON array / msgpack array),
    built from the cached encodings without decoding or encoding anything again."""
    if codec == "json":
        return "[" + ",".join(frames) + "]"  # type: ignore[arg-type]  # json frames are str
    count = len(frames)
    if count < 16:
        header = bytes([0x90 | count])
    elif count < 1 << 16:
        header = b"\xdc" + count.to_bytes(2, "big")
    else:
        header = b"\xdd" + count.to_bytes(4, "big")
    return header + b"".join(frames)  # type: ignore[arg-type]  # msgpack frames are bytes


def ws_frame(payload: str | bytes) -> bytes:
    """``payload`` as one unmasked, uncompressed WebSocket frame (text for str, binary for
    bytes), ready for the transport: the fan-out frames a shared message once for all peers."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    opcode = 0x81 if isinstance(payload, str) else 0x82  # FIN + text / binary
    size = len(data)
    if size < 126:
        header = bytes((opcode, size))
    elif size < 1 << 16:
        header = bytes((opcode, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((opcode, 127)) + size.to_bytes(8, "big")
    return header + data


class EventFrames:
    """A small cache of encoded events keyed by (seq, codec, detail)."""

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self.encoded = 0  # how many encodings were done (tests check the sharing)
        self._cache: OrderedDict[tuple[int, Variant, bool], str | bytes] = OrderedDict()

    def frame(self, event: Event, codec: Variant, detail: bool = False) -> str | bytes:
        detail = detail or event.type is not EventType.JOB_PROGRESS or "segments" not in event.data
        key = (event.seq, codec, detail)
        frame = self._cache.get(key)
        if frame is None:
            frame = self._encode(event, codec, detail)
            self.encoded += 1
            self._cache[key] = frame
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return frame

    @classmethod
    def _encode(cls, event: Event, codec: Variant, detail: bool) -> str | bytes:
        message = event_message(event, detail)
        try:
            return cls._encode_message(event, codec, message)
        except (TypeError, ValueError, OverflowError):
            # Text that is not valid Unicode, or a NaN, slipped in: the event still goes out
            # (a critical job.status must not be lost), with the bad values made valid.
            log.exception("event %s %s had to be cleaned to be sent", event.seq, event.type)
            return cls._encode_message(event, codec, scrub(message))

    @staticmethod
    def _encode_message(event: Event, codec: Variant, message: Any) -> str | bytes:
        if codec == "sse":
            data = to_json(message["params"])
            return f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n"
        return encode(codec, message)
