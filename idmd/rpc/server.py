"""The aiohttp side of the RPC: ``GET /rpc`` (WebSocket, JSON-RPC 2.0) and
``GET /events`` (the Server-Sent-Events mirror). ``setup_rpc(app)`` mounts them;
the protocol itself lives in the transport-free dispatcher and namespaces."""

from __future__ import annotations

import asyncio

from aiohttp import web

from idmd.context import DAEMON
from idmd.protocol import MAX_FRAME
from idmd.rpc.api import build_dispatcher
from idmd.rpc.codec import SUBPROTOCOLS
from idmd.rpc.connection import Connection
from idmd.rpc.dispatcher import Dispatcher
from idmd.rpc.guard import bearer_token, host_allowed, origin_allowed
from idmd.rpc.pairing_registry import PairingRegistry
from idmd.rpc.peer import CLOSE_GOING_AWAY, Peer, RpcState
from idmd.rpc.sse import EventStream
from idmd.rpc.wire import EventFrames

RPC = web.AppKey("idmd_rpc", RpcState)
DISPATCHER = web.AppKey("idmd_rpc_dispatcher", Dispatcher)
FRAMES = web.AppKey("idmd_rpc_frames", EventFrames)


def setup_rpc(
    app: web.Application, *, queue_limit: int = 1024, wrong_token_delay: float = 1.0
) -> None:
    """Mount ``/rpc`` and ``/events`` on the daemon's app (``app[DAEMON]`` must be set)."""
    ctx = app[DAEMON]
    state = RpcState(
        ctx,
        PairingRegistry(ctx.paths.state_dir / "clients.json"),
        queue_limit=queue_limit,
        wrong_token_delay=wrong_token_delay,
    )
    app[RPC] = state
    app[DISPATCHER] = build_dispatcher(state)
    app[FRAMES] = state.frames
    app.router.add_get("/rpc", rpc_handler)
    app.router.add_get("/events", sse_handler)
    app.on_shutdown.append(_close_all)


def check_request(request: web.Request, state: RpcState) -> None:
    """Host (DNS rebinding) and Origin (web pages) checks, before any upgrade."""
    if not host_allowed(request.headers.get("Host"), state.ctx.port):
        raise web.HTTPForbidden(text="forbidden Host\n")
    config = state.ctx.config
    if not origin_allowed(
        request.headers.get("Origin"), config.allowed_origins, config.extension_ids
    ):
        raise web.HTTPForbidden(text="forbidden Origin\n")


async def _bearer(request: web.Request, state: RpcState, peer: Peer) -> bool:
    """Authenticate from ``Authorization: Bearer``; False (after the delay) for a wrong one."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        return True
    valid, client_id = state.check_token(token)
    if not valid:
        await state.wrong_token_pause()
        return False
    peer.authenticated = True
    peer.client_id = client_id
    return True


async def rpc_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[RPC]
    check_request(request, state)
    ws = web.WebSocketResponse(
        protocols=tuple(SUBPROTOCOLS), max_msg_size=MAX_FRAME + 1, timeout=5.0
    )  # + 1: aiohttp refuses a frame *of* max_msg_size; ours may be 1 MiB
    codec = SUBPROTOCOLS.get(ws.can_prepare(request).protocol or "", "json")
    transport = request.transport if isinstance(request.transport, asyncio.Transport) else None
    connection = Connection(
        ws,
        state,
        codec,
        request.remote or "",
        request.app[DISPATCHER],
        request.app[FRAMES],
        transport,
    )
    peer = connection.peer
    if not await _bearer(request, state, peer):
        raise web.HTTPUnauthorized(text="wrong token\n")
    await ws.prepare(request)
    state.peers.add(peer)
    try:
        await connection.run()
    finally:
        peer.release()
    return ws


async def sse_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[RPC]
    check_request(request, state)
    stream = EventStream(request, state, request.app[FRAMES])
    if bearer_token(request.headers.get("Authorization")) is None:
        raise web.HTTPUnauthorized(text="send the token as Authorization: Bearer TOKEN\n")
    if not await _bearer(request, state, stream.peer):
        raise web.HTTPUnauthorized(text="wrong token\n")
    state.peers.add(stream.peer)
    try:
        return await stream.serve()
    finally:
        stream.peer.release()


async def _close_all(app: web.Application) -> None:
    for peer in list(app[RPC].peers):
        peer.close(CLOSE_GOING_AWAY, "idmd is stopping")


__all__ = ["RPC", "setup_rpc"]
