"""``Client``: one WebSocket to idmd, calls, and a subscription that survives
reconnections. Replies and events are read by one reader task; a lost
connection is re-established in the background with back-off (``state.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp

from idmd import __version__
from idmd.client.discovery import discover, read_token
from idmd.client.errors import AuthenticationFailed, ClientError, ConnectionLost, DaemonNotRunning
from idmd.client.state import ConnectionStatus, State, StateCallback, backoff_delay
from idmd.paths import Paths
from idmd.protocol import MAX_FRAME
from idmd.protocol.errors import RpcError, Unauthorized, error_from_dict
from idmd.rpc.codec import SUBPROTOCOL_OF, CodecName, decode, encode

log = logging.getLogger(__name__)

ResultHook = Callable[[Any], None]
_CLOSED = object()


@dataclass
class _Subscription:
    params: dict[str, Any]
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)


class Client:
    """A connection to idmd. Create it with ``await Client.connect(...)``."""

    def __init__(
        self,
        url: str | None,
        token: str | None,
        codec: CodecName = "msgpack",
        client_name: str = "idmd.client",
        client_version: str = __version__,
        *,
        paths: Paths | None = None,
        reconnect: bool = True,
        on_state: StateCallback | None = None,
    ) -> None:
        if codec not in SUBPROTOCOL_OF:
            raise ValueError(f"unknown codec {codec!r} (json or msgpack)")
        self._discovered = url is None
        self._token_given = token is not None
        self._paths = paths
        self.url = url or ""
        self.token = token
        self.codec: CodecName = codec
        self.client_info = {"name": client_name, "version": client_version}
        self.reconnect = reconnect
        self.server: dict[str, Any] = {}  # session.hello's result: {server, seq}
        self.last_seq: int | None = None  # the last event seq the subscription saw
        self.status = ConnectionStatus(State.CONNECTING)
        self._listeners: list[StateCallback] = [on_state] if on_state else []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._pending: dict[int, tuple[asyncio.Future[Any], ResultHook | None]] = {}
        self._next_id = 0
        self._sub: _Subscription | None = None
        self._closing = False

    # -- life cycle ---------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        url: str | None = None,
        token: str | None = None,
        codec: CodecName = "msgpack",
        client_name: str = "idmd.client",
        client_version: str = __version__,
        *,
        paths: Paths | None = None,
        reconnect: bool = True,
        on_state: StateCallback | None = None,
    ) -> Client:
        """Connect and authenticate; finds the daemon through daemon.json when ``url`` is None.

        Raises DaemonNotRunning when nothing answers and AuthenticationFailed
        when the token is refused.
        """
        client = cls(url, token, codec, client_name, client_version, paths=paths, reconnect=reconnect,
                     on_state=on_state)
        try:
            await client._open()
        except BaseException:
            await client.close()
            raise
        return client

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def add_state_listener(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback(status)`` on every change of ``status``; returns the remover."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    @property
    def connected(self) -> bool:
        return self.status.state is State.CONNECTED

    async def close(self) -> None:
        """Close for good: no more reconnection, the subscription iterator ends."""
        self._closing = True
        if self._reconnector is not None:
            self._reconnector.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._session is not None:
            await self._session.close()
        self._fail_pending(ConnectionLost("the client was closed"))
        if self._sub is not None:
            self._sub.queue.put_nowait(_CLOSED)
        self._set_status(ConnectionStatus(State.DISCONNECTED))

    # -- calls --------------------------------------------------------------

    async def call(self, method: str, params: Any = None, *, timeout: float | None = 60.0,
                   on_result: ResultHook | None = None) -> Any:
        """The result of ``method``; raises the daemon's error as an idmd.protocol.errors class,
        ConnectionLost when there is no connection. ``on_result`` runs in the reader, before
        any later message is handled (it orders a subscription's snapshot before its events)."""
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionLost("not connected to idmd")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, on_result)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        try:
            await self._send(ws, message)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: Any = None) -> None:
        """A JSON-RPC notification (no reply)."""
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionLost("not connected to idmd")
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._send(ws, message)

    # -- the subscription -----------------------------------------------------

    async def subscribe(
        self,
        since: int | None = None,
        jobs: list[str] | None = None,
        types: list[str] | None = None,
        detail: list[str] | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Yield a snapshot item on each (re)connection, then event dicts, forever.

        ``since=None`` starts from now; an int replays every retained event after it.
        After a lost connection it resumes from the last seq it yielded. The
        snapshot item is ``{"type": "snapshot", "seq", "reset", "snapshot": {"jobs", "stats"}}``.
        Ends when the client is closed.
        """
        if self._sub is not None:
            raise RuntimeError("this client already has a subscription")
        params: dict[str, Any] = {}
        for key, value in (("jobs", jobs), ("types", types), ("detail", detail)):
            if value is not None:
                params[key] = list(value)
        sub = self._sub = _Subscription(params)
        self.last_seq = since
        try:
            if self.connected:
                await self._start_subscription()
            while True:
                item = await sub.queue.get()
                if item is _CLOSED or self._closing:
                    return
                yield item
        finally:
            self._sub = None
            if self.connected and not self._closing:
                with contextlib.suppress(ClientError, RpcError, asyncio.TimeoutError):
                    await self.call("events.unsubscribe", timeout=5)

    async def _start_subscription(self) -> None:
        sub = self._sub
        assert sub is not None
        params = dict(sub.params, batch=True)  # _read handles array frames
        resumed = self.last_seq is not None
        if resumed:
            params["since"] = self.last_seq

        def on_result(result: Any) -> None:
            if not resumed or result.get("reset"):
                # reset: the snapshot is the whole truth and its seq the new base
                # (a restarted daemon counts from 0 again).
                self.last_seq = int(result.get("seq", 0))
            sub.queue.put_nowait({"type": "snapshot", "seq": result.get("seq"), "reset": result.get("reset"),
                                  "snapshot": result.get("snapshot")})

        await self.call("events.subscribe", params, on_result=on_result)

    # -- the connection ----------------------------------------------------------

    async def _open(self) -> None:
        if self._discovered:
            endpoint = discover(self._paths)  # again on each reconnection: the port may have changed
            self.url = endpoint.url
            if not self._token_given:
                self.token = endpoint.token
        elif self.token is None:
            self.token = read_token(self._paths)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            ws = await self._session.ws_connect(
                self.url, protocols=[SUBPROTOCOL_OF[self.codec]], max_msg_size=MAX_FRAME, autoping=True,
                timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise ClientError(f"idmd refused the connection at {self.url}: HTTP {exc.status}") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DaemonNotRunning(f"{self.url}: {exc}") from None
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws), name="idm-client-reader")
        try:
            self.server = await self.call(
                "session.hello", {"token": self.token or "", "client": self.client_info}, timeout=15
            )
        except Unauthorized:
            await ws.close()
            raise AuthenticationFailed(f"idmd at {self.url} refused the token") from None
        except ConnectionLost as exc:
            raise DaemonNotRunning(f"{self.url}: {exc}") from None
        self._set_status(ConnectionStatus(State.CONNECTED))

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, message: Any) -> None:
        frame = encode(self.codec, message)
        try:
            if isinstance(frame, str):
                await ws.send_str(frame)
            else:
                await ws.send_bytes(frame)
        except (ConnectionError, RuntimeError) as exc:
            raise ConnectionLost(f"sending to idmd failed: {exc}") from None

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for frame in ws:
                if frame.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    continue
                try:
                    message = decode(self.codec, frame.data)
                except ValueError:
                    log.warning("an undecodable frame from idmd was ignored")
                    continue
                for item in message if isinstance(message, list) else [message]:
                    if isinstance(item, dict):
                        self._handle(item)
        finally:
            if ws is self._ws:
                self._connection_lost(ws)

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("method") == "event":
            event = message.get("params")
            if isinstance(event, dict):
                self._on_event(event)
            return
        request_id = message.get("id")
        entry = self._pending.get(request_id) if isinstance(request_id, int) else None
        if entry is None:
            return
        future, on_result = entry
        if future.done():
            return
        error = message.get("error")
        if isinstance(error, dict):
            future.set_exception(error_from_dict(error))
            return
        result = message.get("result")
        if on_result is not None:
            on_result(result)
        future.set_result(result)

    def _on_event(self, event: dict[str, Any]) -> None:
        sub = self._sub
        if sub is None:
            return
        seq = event.get("seq")
        if isinstance(seq, int):
            if self.last_seq is not None and seq <= self.last_seq:
                return  # already seen before a reconnection
            self.last_seq = seq
        sub.queue.put_nowait(event)

    def _connection_lost(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        code = ws.close_code
        reason = f"connection closed (code {code})" if code else "connection lost"
        self._ws = None
        self._fail_pending(ConnectionLost(f"idmd: {reason}"))
        if self._closing or self.status.state is State.CONNECTING:
            return
        if not self.reconnect:
            self._set_status(ConnectionStatus(State.DISCONNECTED, error=reason))
            if self._sub is not None:
                self._sub.queue.put_nowait(_CLOSED)
            return
        self._reconnector = asyncio.create_task(self._reconnect_loop(reason), name="idm-client-reconnect")

    async def _reconnect_loop(self, reason: str) -> None:
        loop = asyncio.get_running_loop()
        attempt = 0
        while not self._closing:
            attempt += 1
            delay = backoff_delay(attempt)
            self._set_status(ConnectionStatus(State.RECONNECTING, delay, loop.time() + delay, attempt, reason))
            await asyncio.sleep(delay)  # the back-off itself, not a wait for an event
            try:
                await self._open()
                if self._sub is not None:
                    await self._start_subscription()
                return
            except (TimeoutError, ClientError, RpcError, OSError) as exc:
                reason = str(exc)
                if self._ws is not None:
                    with contextlib.suppress(Exception):
                        await self._ws.close()

    def _fail_pending(self, exc: Exception) -> None:
        for future, _ in list(self._pending.values()):
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()

    def _set_status(self, status: ConnectionStatus) -> None:
        self.status = status
        for callback in list(self._listeners):
            try:
                callback(status)
            except Exception:  # a UI's callback must not break the connection
                log.exception("connection state callback failed")
