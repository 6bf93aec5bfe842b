"""``/jsonrpc`` on the daemon's port: HTTP POST, GET (base64 params) and
WebSocket with notifications, aria2's transports over the transport-free
``Aria2Rpc``. The doors are idm's own (``idmd.rpc.guard``): a loopback Host,
no web origin unless listed in ``allowed_origins``, the token on every call."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from idmd.aria2.errors import Aria2Error, InvalidRequest, ParseError
from idmd.aria2.face import Face
from idmd.aria2.notify import TYPES, notification
from idmd.aria2.rpc import Aria2Rpc, error_reply
from idmd.aria2.tracker import Tracker
from idmd.aria2.wire import encode
from idmd.context import DAEMON
from idmd.events.subscriber import Subscriber
from idmd.protocol import MAX_FRAME
from idmd.rpc.guard import host_allowed, origin_allowed
from idmd.rpc.peer import CLOSE_GOING_AWAY, CLOSE_TOO_SLOW
from idmd.rpc.server import RPC

log = logging.getLogger(__name__)

PATH = "/jsonrpc"
CONTENT_TYPE = "application/json-rpc"
MAX_OUTBOX = 1024  # replies queued for a WebSocket client that does not read them
FACE = web.AppKey("idmd_aria2", Aria2Rpc)


class Sockets:
    """The open aria2 WebSockets, closed when the daemon stops."""

    def __init__(self) -> None:
        self.open: set[web.WebSocketResponse] = set()


SOCKETS = web.AppKey("idmd_aria2_sockets", Sockets)


def setup_aria2(app: web.Application) -> None:
    """Mount ``/jsonrpc``; ``setup_rpc(app)`` must have run (tokens and state are shared)."""
    tracker = Tracker(app[DAEMON].bus)  # from now on, so it sees the engine start jobs
    app[FACE] = Aria2Rpc(Face(app[RPC], tracker))
    app[SOCKETS] = Sockets()
    app.router.add_post(PATH, post_handler)
    app.router.add_get(PATH, get_handler)
    app.router.add_route("OPTIONS", PATH, preflight_handler)
    app.on_shutdown.append(_close_sockets)

    async def stop_tracking(app: web.Application) -> None:
        tracker.stop()

    app.on_cleanup.append(stop_tracking)


def own_origin(origin: str, port: int) -> bool:
    """The daemon's own origin (``http://127.0.0.1:PORT``): it serves no page, so nothing
    but a non-browser client claims it (websocket-client, which aria2p uses, sends it)."""
    return origin.strip().lower() in {
        f"http://127.0.0.1:{port}",
        f"http://localhost:{port}",
        f"http://[::1]:{port}",
    }


def _check(request: web.Request) -> dict[str, str]:
    """Host and Origin as on ``/rpc``; the CORS headers an allowed web origin gets."""
    ctx = request.app[DAEMON]
    if not host_allowed(request.headers.get("Host"), ctx.port):
        raise web.HTTPForbidden(text="forbidden Host\n")
    origin = request.headers.get("Origin")
    if origin is None:
        return {}
    if not (origin_allowed(origin, ctx.config.allowed_origins) or own_origin(origin, ctx.port)):
        raise web.HTTPForbidden(text="forbidden Origin: add it to allowed_origins in config.toml\n")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _json(body: Any, cors: dict[str, str], status: int = 200) -> web.Response:
    return web.Response(text=encode(body), status=status, content_type=CONTENT_TYPE, headers=cors)


def _decode(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"Parse error: {str(exc)[:200]}") from None


async def preflight_handler(request: web.Request) -> web.Response:
    cors = _check(request)
    cors.update(
        {
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    )
    return web.Response(status=204, headers=cors)


async def post_handler(request: web.Request) -> web.Response:
    cors = _check(request)
    try:
        message = _decode(await request.read())
    except Aria2Error as exc:
        return _json(error_reply(None, exc), cors, 400)
    return _json(await request.app[FACE].handle(message, request.remote or ""), cors)


async def get_handler(request: web.Request) -> web.StreamResponse:
    cors = _check(request)
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await _websocket(request)
    query = request.query
    if "jsoncallback" in query:
        error = InvalidRequest("JSONP is not served: it would let any web page read the answer")
        return _json(error_reply(None, error), cors, 400)
    try:
        params = _decode(base64.b64decode(query.get("params", "W10="), validate=True))
    except (binascii.Error, ValueError):
        return _json(
            error_reply(None, ParseError("Parse error: params is not base64 JSON")), cors, 400
        )
    except Aria2Error as exc:
        return _json(error_reply(None, exc), cors, 400)
    if "method" not in query:  # aria2: without a method, params is a batch of requests
        message: Any = params
    else:
        message = {
            "jsonrpc": "2.0",
            "id": query.get("id"),
            "method": query["method"],
            "params": params,
        }
    return _json(await request.app[FACE].handle(message, request.remote or ""), cors)


async def _websocket(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    rpc = app[FACE]
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30.0)
    outbox: deque[str] = deque()
    wake = asyncio.Event()
    # Notifications come from job.status events only; the subscriber bounds the queue
    # and says when a client fell so far behind that it must be dropped.
    sub = Subscriber(app[RPC].queue_limit, types=[str(t) for t in TYPES])

    def offer(event: Any) -> None:
        if not sub.offer(event, time.monotonic()):
            wake.set()  # overflowed: the writer closes the socket
        elif len(sub):
            wake.set()

    # Listening before the upgrade completes: a client that saw it misses no notification.
    remove = app[DAEMON].bus.listen(offer)
    try:
        await ws.prepare(request)
    except BaseException:
        remove()
        raise
    writer = asyncio.create_task(_write(ws, rpc, sub, outbox, wake), name="idmd-aria2-writer")
    app[SOCKETS].open.add(ws)
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            try:
                reply: Any = await rpc.handle(_decode(msg.data), request.remote or "")
            except Aria2Error as exc:
                reply = error_reply(None, exc)
            outbox.append(encode(reply))
            wake.set()
            if len(outbox) > MAX_OUTBOX:
                await ws.close(code=CLOSE_TOO_SLOW, message=b"not reading replies")
    finally:
        remove()
        writer.cancel()
        app[SOCKETS].open.discard(ws)
    return ws


async def _write(
    ws: web.WebSocketResponse,
    rpc: Aria2Rpc,
    sub: Subscriber,
    outbox: deque[str],
    wake: asyncio.Event,
) -> None:
    try:
        while not ws.closed:
            wake.clear()
            while outbox:
                await ws.send_str(outbox.popleft())
            if sub.overflowed:
                await ws.close(code=CLOSE_TOO_SLOW, message=b"too slow to receive notifications")
                return
            event = sub.pop(time.monotonic())
            while event is not None:
                note = notification(event, rpc.face.gids)
                if note is not None:
                    await ws.send_str(json.dumps(note, separators=(",", ":")))
                event = sub.pop(time.monotonic())
            await wake.wait()
    except (ConnectionError, RuntimeError):
        pass  # the client went away; the reader cleans up


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS].open):
        await ws.close(code=CLOSE_GOING_AWAY, message=b"idmd is stopping")


__all__ = ["setup_aria2"]
