"""A big response body read straight into one buffer, past aiohttp's parser.

aiohttp copies every piece of a body into a new ``bytes`` and hands it over
through a stream reader, one await per piece: for a 1 GiB file that was about
40% of the daemon's CPU. Once a response's headers are read and its length is
known, its connection is taken over: the transport (plain or TLS) receives
into one preallocated buffer (``recv_into``, asyncio's ``BufferedProtocol``),
and the bytes go to the file from there, one ``pwrite`` per quarter MiB or so.

aiohttp's parser still expects the body afterwards, so a taken-over
connection is closed at the end rather than reused. Only responses with at
least ``TAKEOVER_BYTES`` to come are taken: for them a new connection later
costs far less than the copies saved. Bodies of unknown length (chunked, or
until the connection closes) stay with aiohttp.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from idmd.core.segments import Segment
from idmd.engine.http.errors import FetchError, closed_after, from_exception
from idmd.engine.http.fetch import FLUSH_SECONDS, OVERLAP_WAIT, compare_past_end
from idmd.engine.http.partfile import PartFile, io_error
from idmd.engine.limits import RateLimiter

TAKEOVER_BYTES = 8 * 1024 * 1024
BUFFER_BYTES = 1024 * 1024
WAKE_BYTES = 256 * 1024  # the writer wakes when this much waits (or the body is all in)


class BodyReader(asyncio.BufferedProtocol):
    """The protocol of a taken-over connection: the body's bytes, in ``view[:fill]``.

    Never asks the socket for more than the body has left, so nothing of a
    later message is read; stops reading while the buffer is full.
    """

    def __init__(
        self, transport: asyncio.Transport, previous: Any, remaining: int, leftover: bytes
    ) -> None:
        self.transport = transport
        self.previous = previous  # aiohttp's protocol: told when the connection is lost
        self.buffer = bytearray(max(BUFFER_BYTES, 2 * len(leftover)))
        self.view = memoryview(self.buffer)
        self.buffer[: len(leftover)] = leftover
        self.fill = len(leftover)
        self.remaining = remaining  # bytes still to come from the socket
        self.length = remaining + len(leftover)  # of the body, from where the reader took it
        self.ended = False  # the connection closed (``error`` says why, None: cleanly)
        self.error: BaseException | None = None
        self.last_data = time.monotonic()
        self.paused = False
        self.wake_at = WAKE_BYTES  # buffered bytes that wake the writer
        self._waiter: asyncio.Future[None] | None = None

    # -- the transport's side ------------------------------------------------------------------
    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view[self.fill : self.fill + min(len(self.buffer) - self.fill, self.remaining)]

    def buffer_updated(self, nbytes: int) -> None:
        self.fill += nbytes
        self.remaining -= nbytes
        self.last_data = time.monotonic()
        if self.fill == len(self.buffer) or not self.remaining:
            self._pause()  # an empty buffer handed to recv_into would read as the end
        if self.fill >= self.wake_at or not self.remaining:
            self._wake()

    def eof_received(self) -> bool:
        return False  # the transport closes; connection_lost follows

    def connection_lost(self, exc: BaseException | None) -> None:
        self.ended, self.error = True, exc
        self._wake()
        # aiohttp's own bookkeeping of the connection (its payload's error is nobody's now).
        with contextlib.suppress(Exception):
            self.previous.connection_lost(exc)

    # -- the writer's side ---------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return not self.remaining

    async def wait(self, timeout: float, wanted: int = WAKE_BYTES) -> None:
        """Until ``wanted`` bytes are buffered, the body is in or the connection ended;
        TimeoutError after ``timeout`` seconds."""
        if self.fill >= wanted or self.complete or self.ended:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        self.wake_at = wanted
        try:
            async with asyncio.timeout(max(timeout, 0.0)):
                await self._waiter
        finally:
            self._waiter, self.wake_at = None, WAKE_BYTES

    def consumed(self) -> None:
        """The buffered bytes are written: receive into the whole buffer again."""
        self.fill = 0
        if self.paused and self.remaining and not self.ended:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        self.transport.close()

    def _pause(self) -> None:
        if not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def take_over(response: aiohttp.ClientResponse) -> BodyReader | None:
    """Take ``response``'s connection for its body, or None where it stays with aiohttp: an
    unknown length, fewer than TAKEOVER_BYTES to come, an ended or failed body."""
    length = response.content_length
    connection = response.connection
    content = response.content
    if length is None or connection is None or "Transfer-Encoding" in response.headers:
        return None
    transport, protocol = connection.transport, connection.protocol
    if not isinstance(transport, asyncio.Transport) or transport.is_closing() or protocol is None:
        return None
    remaining = length - content.total_bytes  # not yet received by aiohttp
    if remaining < TAKEOVER_BYTES or content.is_eof() or content.exception() is not None:
        return None
    leftover = content.read_nowait(-1)  # received, not yet read: it comes first
    protocol.pause_reading()  # stops its read timeout too: the stall is watched here now
    reader = BodyReader(transport, protocol, remaining, leftover)
    transport.set_protocol(reader)
    transport.resume_reading()
    return reader


async def stream_direct(
    reader: BodyReader,
    segment: Segment,
    part: PartFile,
    limiter: RateLimiter,
    on_write: Callable[[int], None],
    start: int,
    check: Callable[[int], int] | None,
    stall: float,
) -> bool:
    """``fetch.stream_into`` for a taken-over body (whose first byte belongs at ``start``):
    the same moving end, overlap check, stall and errors. Closes the connection at the end."""
    pos = start

    def write(data: memoryview) -> int:
        """The part of ``data`` that belongs to the segment, written; returns its length."""
        nonlocal pos
        n = max(0, min(len(data), segment.end - pos))
        if n:
            write_at(part, data[:n], pos)
            pos += n
            segment.done = max(segment.done, pos - segment.start)
            on_write(n)
        return n

    try:
        while not segment.finished:  # or another stream on this segment got there first
            # A slow link: what came is written at least every FLUSH_SECONDS, so the progress
            # the user sees (and the checkpoint) moves on; silence is watched meanwhile.
            # The writer wakes as soon as the bytes up to the segment's end are in, too: a
            # segment's last bytes must not wait for the next quarter MiB (the job's end would).
            wanted = max(1, min(WAKE_BYTES, segment.end - pos))
            with contextlib.suppress(TimeoutError):
                await reader.wait(FLUSH_SECONDS, wanted)
            if not reader.fill and not reader.ended and not reader.complete:
                if time.monotonic() - reader.last_data >= stall:
                    raise from_exception(TimeoutError())  # stalled
                continue
            n = write(reader.view[: reader.fill])
            end = segment.end
            if pos >= end:
                extra = bytes(reader.view[n : reader.fill])  # past the end: the neighbour's
                reader.consumed()
                if check is not None and pos == end:
                    return await compare_past_end(more_of(reader), extra, part, end, check(end))
                return False
            reader.consumed()
            if reader.ended and not reader.complete:
                if reader.error is not None:
                    raise from_exception(reader.error)
                raise FetchError(closed_after(reader.length - reader.remaining, reader.length))
            if reader.complete:
                raise FetchError(
                    f"the server closed the connection at byte {pos} of a range ending at {end}"
                )
            await limiter.consume(n)  # paid after: the bytes were in already
        return False
    finally:
        if reader.fill:  # on cancel (pause, stop) the bytes already received are kept too
            write(reader.view[: reader.fill])
            reader.fill = 0
        reader.close()


def more_of(reader: BodyReader) -> Callable[[], Awaitable[bytes]]:
    """``compare_past_end``'s reads from a taken-over body: what came, b"" at its end."""

    async def more() -> bytes:
        if not reader.fill and (reader.ended or reader.complete):
            return b""
        await reader.wait(OVERLAP_WAIT, wanted=1)
        data = bytes(reader.view[: reader.fill])
        reader.consumed()
        return data

    return more


def write_at(part: PartFile, data: memoryview, offset: int) -> None:
    """All of ``data`` at ``offset`` (a short write is continued)."""
    try:
        while data:
            written = os.pwrite(part.fd, data, offset)
            data, offset = data[written:], offset + written
    except OSError as exc:
        raise io_error(exc, f"writing {part.path.name}") from None
