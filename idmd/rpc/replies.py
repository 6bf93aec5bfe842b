"""Replies made into frames, one request at a time: a reply that cannot be
encoded (text that is not valid Unicode, a NaN) becomes -32603 for its own
id, and a frame never grows past ``MAX_REPLY`` (the items that would push it
over are refused -32011), so one request can neither silence a connection
nor make the daemon build a frame of gigabytes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from idmd.protocol import MAX_REPLY
from idmd.protocol.errors import InternalError, LimitReached
from idmd.rpc.codec import CodecName, encode
from idmd.rpc.dispatcher import error_response
from idmd.rpc.wire import combine

log = logging.getLogger(__name__)

ENCODE_ERRORS = (TypeError, ValueError, OverflowError)  # UnicodeEncodeError is a ValueError


def _id_of(reply: Any) -> Any:
    request_id = reply.get("id") if isinstance(reply, dict) else None
    return (
        request_id
        if isinstance(request_id, (str, int, float)) and not isinstance(request_id, bool)
        else None
    )


def _error(codec: CodecName, request_id: Any, error: InternalError | LimitReached) -> str | bytes:
    try:
        return encode(codec, error_response(request_id, error))
    except ENCODE_ERRORS:  # the id itself is what cannot be encoded
        return encode(codec, error_response(None, error))


def _too_large(codec: CodecName, reply: Any) -> str | bytes:
    return _error(
        codec,
        _id_of(reply),
        LimitReached(
            f"the reply would exceed {MAX_REPLY // (1 << 20)} MiB;"
            " ask for less (a smaller limit, a shorter batch)"
        ),
    )


def _one(codec: CodecName, reply: Any, budget: int) -> str | bytes:
    return _fit(codec, reply, budget)[0]


def _fit(codec: CodecName, reply: Any, budget: int) -> tuple[str | bytes, bool]:
    """The reply's frame, and whether it fitted (else the frame is the -32011 in its place)."""
    if budget <= 0:
        return _too_large(codec, reply), False  # not even encoded: the frame is full
    try:
        frame = encode(codec, reply)
    except ENCODE_ERRORS:
        log.exception("the reply to id %r could not be encoded", _id_of(reply))
        return _error(codec, _id_of(reply), InternalError("the reply could not be encoded")), True
    if _size(frame, budget) > budget:
        return _too_large(codec, reply), False
    return frame, True


def _size(frame: str | bytes, budget: int) -> int:
    """Bytes on the wire; a str is only encoded to count when it could be near the budget."""
    if isinstance(frame, bytes) or len(frame) * 4 <= budget or frame.isascii():
        return len(frame)
    return len(frame.encode("utf-8"))


async def encode_reply(
    codec: CodecName, reply: dict[str, Any] | list[dict[str, Any]], limit: int = MAX_REPLY
) -> str | bytes:
    """The frame for a reply or a batch of replies; never raises for what a handler returned.
    A batch is encoded item by item with a pause between them for other clients."""
    if not isinstance(reply, list):
        return _one(codec, reply, limit)
    frames: list[str | bytes] = []
    budget = limit - len(reply) - 2  # the array's commas and brackets
    for index, item in enumerate(reply):
        if index:
            await asyncio.sleep(0)
        frame = _one(codec, item, budget)
        budget -= _size(frame, budget)
        frames.append(frame)
    return combine(codec, frames)


class BatchFrames:
    """A batch's replies encoded as they come, within ``limit``. Once one does not fit, the
    frame is full: the batch's remaining requests are refused (-32011) without being run,
    so a batch of heavy reads costs no more work than its reply can carry, and never holds
    all of its results at once (a hundred 1,000-job listings made garbage-collector pauses
    of a few hundred ms)."""

    def __init__(self, codec: CodecName, items: int, limit: int = MAX_REPLY) -> None:
        self.codec = codec
        self.frames: list[str | bytes] = []
        self.full = False
        self._budget = limit - items - 2  # the array's commas and brackets

    def add(self, reply: dict[str, Any]) -> None:
        frame, fitted = _fit(self.codec, reply, self._budget)
        self._budget -= _size(frame, self._budget)
        self.full = self.full or not fitted or self._budget <= 0
        self.frames.append(frame)

    def refuse(self, request_id: Any) -> None:
        """The reply for a request left unrun because the frame is full."""
        self.frames.append(_too_large(self.codec, {"id": request_id}))

    def frame(self) -> str | bytes:
        return combine(self.codec, self.frames)
