"""``GET /events``: the event stream as Server-Sent Events for curl and EventSource.

Same subscription rules as the WebSocket (snapshot, replay from ``?since=`` or
``Last-Event-ID``, bounded queue, coalescing); a stream too slow for critical
events ends, and the client resumes with its Last-Event-ID.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from idmd.core.text import scrub
from idmd.protocol.errors import RpcError
from idmd.rpc.codec import to_json
from idmd.rpc.events import Events
from idmd.rpc.peer import Peer, RpcState
from idmd.rpc.wire import EventFrames


def _since(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("since")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text="since / Last-Event-ID must be an integer\n") from None
    if value < 0:
        raise web.HTTPBadRequest(text="since / Last-Event-ID must be >= 0\n")
    return value


def _list(request: web.Request, name: str) -> list[str] | None:
    raw = request.query.get(name)
    return [v for v in raw.split(",") if v] if raw else None


class EventStream:
    """One SSE response and its peer; it is the peer's ``Link`` (SSE frames are
    encoded for SSE, so the hub's ready-made WebSocket frames never come here)."""

    raw_frames = False

    def __init__(self, request: web.Request, state: RpcState, frames: EventFrames) -> None:
        self._request = request
        self._frames = frames
        self._wakeup = asyncio.Event()
        self.peer = Peer(state, self, "json", asyncio.get_running_loop().time, request.remote or "")

    def wake(self) -> None:
        self._wakeup.set()

    def write_now(self, frame: bytes) -> bool:
        return False

    def closing(self) -> None:
        pass  # the loop in ``serve`` ends when it sees the close code

    async def serve(self) -> web.StreamResponse:
        request, peer = self._request, self.peer
        loop = asyncio.get_running_loop()
        jobs = _list(request, "jobs")
        try:
            result = Events(peer.state, peer).subscribe(
                since=_since(request), jobs=jobs, types=_list(request, "types")
            )
        except RpcError as exc:
            raise web.HTTPBadRequest(text=f"{exc.detail}\n") from None
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        try:
            snapshot = to_json(result)
        except (TypeError, ValueError, OverflowError):  # text that is not valid Unicode slipped in
            snapshot = to_json(scrub(result))
        await response.write(f"event: snapshot\ndata: {snapshot}\n\n".encode())
        peer.activate()
        with contextlib.suppress(ConnectionError, RuntimeError):
            while peer.close_code is None and (subscription := peer.subscription) is not None:
                self._wakeup.clear()
                frames = subscription.next_frames(self._frames, "sse", loop.time(), 1)
                if frames:
                    frame = frames[0]
                    await response.write(frame.encode() if isinstance(frame, str) else frame)
                    continue
                due = subscription.next_due()
                with contextlib.suppress(TimeoutError):
                    timeout = None if due is None else max(0.0, due - loop.time())
                    await asyncio.wait_for(self._wakeup.wait(), timeout)
        return response
