"""Real HTTP servers on 127.0.0.1 for the engine tests, that misbehave on purpose.

``serve`` answers like a correct file server (ranges, ETag); each test wraps
it in a handler that breaks one rule at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CHUNK = 64 * 1024


def payload(size: int, seed: int = 1) -> bytes:
    """Deterministic, incompressible-looking bytes (so a wrong offset is always caught)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def requested_range(request: web.Request, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)`` of the request's Range header, or None."""
    match = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("Range", ""))
    if not match:
        return None
    start = int(match.group(1))
    end = int(match.group(2)) + 1 if match.group(2) else size
    return start, min(end, size)


async def serve(
    request: web.Request,
    data: bytes,
    *,
    ranges: bool = True,
    etag: str | None = '"v1"',
    headers: dict[str, str] | None = None,
    cut_after: int | None = None,
    stall_after: int | None = None,
    stall: asyncio.Event | None = None,
    claim_length: int | None = None,
    content_range_shift: int = 0,
    count: Callable[[int], None] | None = None,
    pace: float = 0.0,
    pace_with: Callable[[], Awaitable[None]] | None = None,
) -> web.StreamResponse:
    """A file response; the keyword arguments each break one thing.

    ``cut_after``: reset the connection after that many body bytes;
    ``stall_after``: go silent after that many bytes until ``stall`` is set;
    ``claim_length``: announce this Content-Length whatever is sent;
    ``content_range_shift``: lie in Content-Range by this many bytes;
    ``pace_with``: awaited before each chunk (a budget shared by several responses).
    """
    asked = requested_range(request, len(data)) if ranges else None
    start, end = asked if asked else (0, len(data))
    response = web.StreamResponse(status=206 if asked else 200)
    if ranges:
        response.headers["Accept-Ranges"] = "bytes"
    if asked:
        response.headers["Content-Range"] = (
            f"bytes {start + content_range_shift}-{end - 1 + content_range_shift}/{len(data)}"
        )
    if etag:
        response.headers["ETag"] = etag
    response.headers["Content-Type"] = "application/octet-stream"
    response.headers.update(headers or {})
    response.content_length = claim_length if claim_length is not None else end - start
    await response.prepare(request)
    sent = 0
    body = memoryview(data)[start:end]
    while sent < len(body):
        piece = body[sent : sent + CHUNK]
        if cut_after is not None and sent + len(piece) > cut_after:
            await response.write(bytes(piece[: max(cut_after - sent, 0)]))
            await asyncio.sleep(0.01)
            assert request.transport is not None
            request.transport.abort()  # a reset, not a clean end
            return response
        if stall_after is not None and sent >= stall_after and stall is not None:
            await stall.wait()
        if pace_with is not None:
            await pace_with()
        await response.write(bytes(piece))
        sent += len(piece)
        if pace:
            await asyncio.sleep(
                pace
            )  # a slow link: about CHUNK / pace bytes per second per connection
        if count is not None:
            count(len(piece))
    if claim_length is not None and claim_length > len(body):
        assert request.transport is not None
        request.transport.close()
        return response
    await response.write_eof()
    return response


@dataclass
class Site:
    """A TestServer with handlers added per test; ``hits`` counts requests per path."""

    server: TestServer | None = None
    app: web.Application = field(default_factory=web.Application)
    hits: dict[str, int] = field(default_factory=dict)
    served: dict[str, int] = field(
        default_factory=dict
    )  # body bytes written per path (by ``file``)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def route(self, path: str, handler: Handler) -> None:
        async def counted(request: web.Request) -> web.StreamResponse:
            self.hits[path] = self.hits.get(path, 0) + 1
            return await handler(request)

        self.app.router.add_get(path, counted)

    def file(self, path: str, data: bytes, **kwargs: object) -> None:
        def count(n: int) -> None:
            self.served[path] = self.served.get(path, 0) + n

        async def handler(request: web.Request) -> web.StreamResponse:
            return await serve(request, data, count=count, **kwargs)  # type: ignore[arg-type]

        self.route(path, handler)

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    async def start(self) -> Site:
        self.server = TestServer(self.app, host="127.0.0.1", port=0)
        await self.server.start_server()
        return self

    async def close(self) -> None:
        self.release.set()
        if self.server is not None:
            await self.server.close()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_bytes(path: str) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


async def expired_link_site(body: bytes, cut_after: int, other: bytes) -> TestServer:
    """A link that expires: ``/old`` sends ``cut_after`` bytes of ``body`` then resets, and
    answers 403 from then on; ``/new`` serves the same bytes; ``/other`` another file
    (``other``); ``/busy`` 503. Started; the caller closes it."""
    seen = {"old": 0}

    async def old(request: web.Request) -> web.StreamResponse:
        seen["old"] += 1
        if seen["old"] > 1:
            return web.Response(status=403)
        return await serve(request, body, cut_after=cut_after)

    async def new(request: web.Request) -> web.StreamResponse:
        return await serve(request, body)

    async def different(request: web.Request) -> web.StreamResponse:
        return await serve(request, other)

    async def busy(request: web.Request) -> web.StreamResponse:
        return web.Response(status=503)

    app = web.Application()
    for name, handler in (("old", old), ("new", new), ("other", different), ("busy", busy)):
        app.router.add_get(f"/{name}", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server
