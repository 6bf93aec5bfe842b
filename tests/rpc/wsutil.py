"""A raw WebSocket peer for the protocol tests: frames in and out, no client library."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp

from idmd.rpc.codec import decode, encode

PROTOCOLS = {"json": "idm.v1.json", "msgpack": "idm.v1.msgpack"}


def strict_json(text: str) -> Any:
    """``text`` parsed as a strict JSON parser would: no NaN or Infinity, valid UTF-8 only."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    text.encode("utf-8")  # a lone surrogate cannot be sent as UTF-8
    return json.loads(text, parse_constant=refuse)


class RawPeer:
    def __init__(
        self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, codec: str
    ) -> None:
        self.session = session
        self.ws = ws
        self.codec = codec
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def send(self, message: Any) -> None:
        frame = encode(self.codec, message)  # type: ignore[arg-type]
        if isinstance(frame, str):
            await self.ws.send_str(frame)
        else:
            await self.ws.send_bytes(frame)

    async def recv(self, timeout: float = 5.0) -> Any:
        msg = await self.ws.receive(timeout)
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
        ):
            raise ConnectionError(f"closed {self.ws.close_code}")
        return decode(self.codec, msg.data)  # type: ignore[arg-type]

    async def call(self, method: str, params: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        """Send a request and return its response (events meanwhile go to ``events``)."""
        request_id = next(self.ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.send(message)
        return await self.reply(request_id, timeout)

    async def reply(self, request_id: Any, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if isinstance(message, dict) and message.get("method") == "event":
                    self.events.append(message["params"])
                    continue
                return message

    async def next_event(self, timeout: float = 5.0) -> dict[str, Any]:
        if self.events:
            return self.events.pop(0)
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if isinstance(message, dict) and message.get("method") == "event":
                    return message["params"]

    async def closed_with(self, timeout: float = 5.0) -> int | None:
        """Read until the server closes; the close code."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                ):
                    return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


async def connect(
    url: str,
    codec: str = "json",
    token: str | None = None,
    headers: dict[str, str] | None = None,
    protocol: str | None | bool = True,
    max_msg_size: int = 4 << 20,
) -> RawPeer:
    session = aiohttp.ClientSession()
    protocols = (
        () if protocol is None else ((PROTOCOLS[codec],) if protocol is True else (str(protocol),))
    )
    try:
        ws = await session.ws_connect(
            url,
            protocols=protocols,
            headers=headers or {},
            max_msg_size=max_msg_size,
            autoclose=False,
        )
    except BaseException:
        await session.close()
        raise
    peer = RawPeer(session, ws, codec)
    if token is not None:
        reply = await peer.call(
            "session.hello", {"token": token, "client": {"name": "test", "version": "1"}}
        )
        assert "result" in reply, reply
    return peer


async def result(peer: RawPeer, method: str, params: Any = None) -> Any:
    """The result of a call that must succeed (the assertion names the method and reply)."""
    reply = await peer.call(method, params)
    assert "result" in reply, (method, reply)
    return reply["result"]
