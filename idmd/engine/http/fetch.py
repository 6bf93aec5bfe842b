"""One connection: send a (ranged) GET, check the answer, stream bytes to disk.

The chunks the HTTP client hands over are gathered (up to 256 KiB) and written
with one positional ``pwritev``, without first being copied into one buffer:
copies and system calls are the cost. A segment whose end moves down
(another connection took its far half) stops at the new end.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping

import aiohttp

from idmd.core.backoff import parse_retry_after, retry_wait
from idmd.core.segments import Segment
from idmd.engine.http.auth import Auth
from idmd.engine.http.errors import (
    AuthFailed,
    FetchError,
    HttpStatusError,
    RangesUnsupported,
    from_exception,
)
from idmd.engine.http.partfile import PartFile, io_error
from idmd.engine.limits import RateLimiter
from idmd.engine.runner import JobContext, JobError

# Bytes gathered before one positional write: fewer system calls. A split landing inside
# the gathered bytes is harmless (they are cut at the segment's end before the write).
FLUSH_BYTES = 256 * 1024
IOV_MAX = 1024  # buffers per pwritev (the Linux limit)
# A slow connection writes what it has at least this often, so progress moves on slow links too.
FLUSH_SECONDS = 0.5
OVERLAP_WAIT = 1.0  # seconds to wait for the overlap bytes past a finished segment


def timeout_for(stall: float) -> aiohttp.ClientTimeout:
    """No total limit (files are big); connect and each read bounded by the stall timeout."""
    return aiohttp.ClientTimeout(total=None, sock_connect=min(stall, 30.0), sock_read=stall)


async def open_response(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str],
    start: int | None,
    end: int | None,
    stall: float,
    auth: Auth | None = None,
) -> aiohttp.ClientResponse:
    """GET ``url`` for bytes ``[start, end)`` (``start`` None: no Range header).

    Returns a 200/206 response with its body unread; raises ``FetchError``.
    ``auth``: the job's credentials; a 401 that brings a new Digest challenge is
    answered once, any other 401 fails (``AuthFailed``, not retried).
    """
    request_headers = dict(headers)
    if start is not None:
        request_headers["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
    for _ in range(2):
        if auth is not None and (value := auth.header(url)) is not None:
            request_headers["Authorization"] = value
        try:
            response = await session.get(
                url, headers=request_headers, timeout=timeout_for(stall), allow_redirects=True
            )
        except Exception as exc:  # noqa: BLE001
            # every network failure becomes one readable FetchError
            raise from_exception(exc) from None
        if response.status != 401 or auth is None:
            break
        response.release()
        if not auth.challenged(response.headers.getall("WWW-Authenticate", [])):
            break
    if response.status in (200, 206):
        return response
    if response.status == 401:
        response.release()
        raise AuthFailed(response.url.host or "", auth is not None)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    error = HttpStatusError(response.status, response.reason or "", retry_after)
    response.release()
    if response.status == 416 and start:
        raise RangesUnsupported(f"HTTP 416 for bytes from {start}")
    raise error


async def first_response(
    ctx: JobContext, url: str, headers: Mapping[str, str], start: int | None
) -> aiohttp.ClientResponse:
    """The job's first GET, retried with back-off (``Retry-After`` honoured); raises JobError."""
    attempts = 0
    while True:
        try:
            return await open_response(
                ctx.session, url, headers, start, None, ctx.config.stall_timeout, ctx.auth
            )
        except FetchError as exc:
            attempts += 1
            if not exc.retriable or attempts > ctx.config.retries:
                raise JobError(exc.code, exc.message) from None
            wait = retry_wait(attempts, exc.retry_after)
            ctx.log(f"{exc.message}; retry {attempts} in {wait:.1f} s", "warning")
            await asyncio.sleep(wait)


class RangeMismatch(RangesUnsupported):
    """Two responses disagree about the same bytes: the server's ranges cannot be trusted."""


async def stream_into(
    response: aiohttp.ClientResponse,
    segment: Segment,
    part: PartFile,
    limiter: RateLimiter,
    on_write: Callable[[int], None],
    until_eof: bool = False,
    *,
    start: int | None = None,
    check: Callable[[int], int] | None = None,
) -> bool:
    """Copy the body into ``segment`` until its (moving) end; ``FetchError`` if it ends early.

    The body's first byte belongs at ``start`` (default: the segment's position);
    another stream may work on the same segment (the endgame's duplicate), so
    this one stops as soon as the segment is finished by either. ``check(end)``
    says how many bytes past the segment's end to read and compare with what
    is on disk there (the neighbour's first bytes; 0: none); a difference
    raises ``RangeMismatch``; True is returned when they were the same.
    ``until_eof``: the size is unknown; the segment's end follows the data.
    """
    pending = Pending()
    content = response.content
    pos = segment.pos if start is None else start
    flushed_at = time.monotonic()

    def flush() -> None:
        nonlocal pos, flushed_at
        flushed_at = time.monotonic()
        if not pending.size:
            return
        n = pending.write(part, pos)
        pos += n
        segment.done = max(segment.done, pos - segment.start)
        on_write(n)

    try:
        while True:
            if not until_eof and segment.finished:
                return False  # another stream on this segment got there first
            # A slow link: when nothing more arrives for FLUSH_SECONDS, write what is buffered
            # so the progress the user sees (and the checkpoint) moves on.
            wait = flushed_at + FLUSH_SECONDS - time.monotonic() if pending.size else None
            deadline = asyncio.timeout(max(wait, 0.0) if wait is not None else None)
            try:
                async with deadline:
                    chunk = await content.readany()
            # A reset, a timeout, a short body: one FetchError.
            except Exception as exc:  # noqa: BLE001
                if deadline.expired():
                    if not until_eof:
                        pending.keep(segment.end - pos)
                    flush()
                    continue
                raise from_exception(exc) from None
            if not chunk:
                break
            await limiter.consume(len(chunk))
            pending.add(chunk)
            if until_eof:
                segment.end = max(segment.end, pos + pending.size)
            elif segment.end - pos <= pending.size:
                end = segment.end
                extra = pending.keep(end - pos)
                flush()
                if check is not None and pos == end:
                    return await compare_past_end(content.readany, extra, part, end, check(end))
                return False
            if pending.size >= FLUSH_BYTES:
                flush()
    finally:
        # On cancel (pause, stop) the bytes already received are kept too.
        if pending.size:
            pending.keep(segment.end - pos)
            flush()
    if not until_eof and segment.pos < segment.end:
        raise FetchError(
            f"the server closed the connection at byte {pos} of a range ending at {segment.end}"
        )
    return False


class Pending:
    """Chunks received and not yet written: one ``pwritev``, no copy into one buffer."""

    def __init__(self) -> None:
        self.chunks: list[bytes | memoryview] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)

    def keep(self, limit: int) -> bytes:
        """Drop everything past the first ``limit`` bytes; return what was dropped."""
        limit = max(limit, 0)
        if self.size <= limit:
            return b""
        kept: list[bytes | memoryview] = []
        dropped: list[bytes | memoryview] = []
        room = limit
        for chunk in self.chunks:
            if room >= len(chunk):
                kept.append(chunk)
                room -= len(chunk)
            else:
                view = memoryview(chunk)
                if room:
                    kept.append(view[:room])
                dropped.append(view[room:])
                room = 0
        self.chunks, self.size = kept, limit
        return b"".join(dropped)

    def write(self, part: PartFile, offset: int) -> int:
        """Write every chunk at ``offset`` and forget them; returns the bytes written."""
        total = self.size
        views = [memoryview(c) for c in self.chunks]
        try:
            while views:
                written = os.pwritev(part.fd, views[:IOV_MAX], offset)
                offset += written
                while views and written >= len(views[0]):
                    written -= len(views[0])
                    views.pop(0)
                if written:
                    views[0] = views[0][written:]
        except OSError as exc:
            raise io_error(exc, f"writing {part.path.name}") from None
        self.chunks, self.size = [], 0
        return total


async def compare_past_end(
    more: Callable[[], Awaitable[bytes]], extra: bytes, part: PartFile, end: int, length: int
) -> bool:
    """Read ``length`` bytes past ``end`` (``extra`` already came; ``more()`` brings the next,
    b"" at the body's end) and compare them with the disk.

    False when they could not be read soon (the segment itself is complete; the
    boundary is then checked by ``connections.py`` at the end).
    """
    if length <= 0:
        return False
    got = bytearray(extra)
    try:
        async with asyncio.timeout(OVERLAP_WAIT):
            while len(got) < length:
                chunk = await more()
                if not chunk:
                    return False
                got += chunk
    except Exception:  # noqa: BLE001 - a reset or a slow server: just not checked here
        return False
    same_as_disk(part, end, bytes(got[:length]))
    return True


def same_as_disk(part: PartFile, offset: int, data: bytes) -> None:
    """Raise ``RangeMismatch`` unless ``data`` is what the part file holds at ``offset``."""
    if os.pread(part.fd, len(data), offset) != data:
        raise RangeMismatch(f"the server sent different bytes for the same range at byte {offset}")
