"""One WebSocket to idmd: frames out, frames in, replies matched to their
requests by id. It knows nothing of tokens, reconnection or subscriptions:
``Client`` builds those on top and makes a new link after a loss."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from idmd.client.errors import ClientError, ConnectionLost, DaemonNotRunning
from idmd.client.websocket import HandshakeError, WebSocket
from idmd.protocol import MAX_REPLY
from idmd.protocol.errors import error_from_dict
from idmd.rpc.codec import SUBPROTOCOL_OF, CodecName, decode, encode

log = logging.getLogger(__name__)

ResultHook = Callable[[Any], None]
EventHook = Callable[[dict[str, Any]], None]


class Link:
    def __init__(
        self,
        ws: WebSocket,
        codec: CodecName,
        on_event: EventHook,
        on_lost: Callable[[Link, str], None],
    ) -> None:
        self.ws = ws
        self.codec: CodecName = codec
        self._on_event = on_event
        self._on_lost = on_lost
        self._pending: dict[int, tuple[asyncio.Future[Any], ResultHook | None]] = {}
        self._next_id = 0
        self._reader = asyncio.create_task(self._read(), name="idm-client-reader")

    @classmethod
    async def open(
        cls,
        url: str,
        codec: CodecName,
        on_event: EventHook,
        on_lost: Callable[[Link, str], None],
    ) -> Link:
        """Connect; DaemonNotRunning when nothing answers, ClientError when the daemon refuses."""
        try:
            ws = await WebSocket.connect(url, [SUBPROTOCOL_OF[codec]], max_size=MAX_REPLY + 1)
        except HandshakeError as exc:
            raise ClientError(f"idmd refused the connection at {url}: {exc}") from None
        except OSError as exc:  # refused, reset, or TimeoutError (one too)
            raise DaemonNotRunning(f"{url}: {exc or type(exc).__name__}") from None
        return cls(ws, codec, on_event, on_lost)

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def call(
        self,
        method: str,
        params: Any = None,
        timeout: float | None = 60.0,
        on_result: ResultHook | None = None,
    ) -> Any:
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, on_result)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        try:
            await self.send(message)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(request_id, None)

    async def send(self, message: Any) -> None:
        if self.ws.closed:
            raise ConnectionLost("not connected to idmd")
        try:
            await self.ws.send(encode(self.codec, message))
        except (ConnectionError, RuntimeError) as exc:
            raise ConnectionLost(f"sending to idmd failed: {exc}") from None

    async def close(self) -> None:
        """Close without telling ``on_lost`` (the caller knows)."""
        self._on_lost = lambda link, reason: None
        with contextlib.suppress(Exception):
            await self.ws.close()  # bounded: it gives up on a peer that reads nothing
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader
        self._fail_pending(ConnectionLost("the client was closed"))

    async def _read(self) -> None:
        try:
            while (data := await self.ws.receive()) is not None:
                try:
                    message = decode(self.codec, data)
                except ValueError:
                    log.warning("an undecodable frame from idmd was ignored")
                    continue
                for item in message if isinstance(message, list) else [message]:
                    if isinstance(item, dict):
                        self._handle(item)
        finally:
            code = self.ws.close_code
            reason = f"connection closed (code {code})" if code else "connection lost"
            self._fail_pending(ConnectionLost(f"idmd: {reason}"))
            self._on_lost(self, reason)

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("method") == "event":
            event = message.get("params")
            if isinstance(event, dict):
                self._on_event(event)
            return
        request_id = message.get("id")
        entry = self._pending.get(request_id) if isinstance(request_id, int) else None
        if entry is None or entry[0].done():
            return
        future, on_result = entry
        error = message.get("error")
        if isinstance(error, dict):
            future.set_exception(error_from_dict(error))
            return
        result = message.get("result")
        if on_result is not None:
            on_result(
                result
            )  # before any later frame is handled: orders a snapshot before its events
        future.set_result(result)

    def _fail_pending(self, exc: Exception) -> None:
        for future, _ in list(self._pending.values()):
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()
