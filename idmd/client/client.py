"""``Client``: calls to idmd and a subscription that survive lost connections.

Each connection is a ``Link`` (``link.py``); after a loss a new one is made in
the background with back-off (``state.py``) and the subscription resumes from
the last seq it saw."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any, Self

from idmd import __version__
from idmd.client.discovery import discover, read_token
from idmd.client.errors import AuthenticationFailed, ClientError, ConnectionLost, DaemonNotRunning
from idmd.client.link import Link, ResultHook
from idmd.client.state import ConnectionStatus, State, StateCallback, backoff_delay
from idmd.paths import Paths
from idmd.protocol.errors import RpcError, Unauthorized
from idmd.rpc.codec import SUBPROTOCOL_OF, CodecName

log = logging.getLogger(__name__)

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
        self._link: Link | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._sub: _Subscription | None = None
        self._closing = False
        self._instance: Any = None  # the daemon's started_at: a new value means new seqs

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
        client = cls(
            url,
            token,
            codec,
            client_name,
            client_version,
            paths=paths,
            reconnect=reconnect,
            on_state=on_state,
        )
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
        if self._link is not None:
            await self._link.close()
            self._link = None
        if self._sub is not None:
            self._sub.queue.put_nowait(_CLOSED)
        self._set_status(ConnectionStatus(State.DISCONNECTED))

    # -- calls --------------------------------------------------------------

    async def call(
        self,
        method: str,
        params: Any = None,
        *,
        timeout: float | None = 60.0,
        on_result: ResultHook | None = None,
    ) -> Any:
        """The result of ``method``; raises the daemon's error as an idmd.protocol.errors class,
        ConnectionLost when there is no connection. ``on_result`` runs in the reader, before
        any later message is handled (it orders a subscription's snapshot before its events)."""
        link = self._link
        if link is None or link.closed:
            raise ConnectionLost("not connected to idmd")
        return await link.call(method, params, timeout, on_result)

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
            sub.queue.put_nowait(
                {
                    "type": "snapshot",
                    "seq": result.get("seq"),
                    "reset": result.get("reset"),
                    "snapshot": result.get("snapshot"),
                }
            )

        await self.call("events.subscribe", params, on_result=on_result)

    # -- the connection ----------------------------------------------------------

    async def _open(self) -> None:
        if self._discovered:
            endpoint = discover(
                self._paths
            )  # again on each reconnection: the port may have changed
            self.url = endpoint.url
            if not self._token_given:
                self.token = endpoint.token
        elif self.token is None:
            self.token = read_token(self._paths)
        link = self._link = await Link.open(self.url, self.codec, self._on_event, self._lost)
        try:
            self.server = await link.call(
                "session.hello", {"token": self.token or "", "client": self.client_info}, timeout=15
            )
        except Unauthorized:
            await link.close()
            raise AuthenticationFailed(f"idmd at {self.url} refused the token") from None
        except ConnectionLost as exc:
            raise DaemonNotRunning(f"{self.url}: {exc}") from None
        instance = (self.server.get("server") or {}).get("started_at")
        if self._instance is not None and instance != self._instance:
            self.last_seq = (
                None  # a restarted daemon counts seqs from scratch: resubscribe from now
            )
        self._instance = instance
        self._set_status(ConnectionStatus(State.CONNECTED))

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

    def _lost(self, link: Link, reason: str) -> None:
        if link is not self._link:
            return
        self._link = None
        if self._closing or self.status.state is State.CONNECTING:
            return  # the first connect() reports it
        if self._reconnector is not None and not self._reconnector.done():
            return  # lost during a reconnection attempt: that loop tries again
        if not self.reconnect:
            self._set_status(ConnectionStatus(State.DISCONNECTED, error=reason))
            if self._sub is not None:
                self._sub.queue.put_nowait(_CLOSED)
            return
        self._reconnector = asyncio.create_task(
            self._reconnect_loop(reason), name="idm-client-reconnect"
        )

    async def _reconnect_loop(self, reason: str) -> None:
        loop = asyncio.get_running_loop()
        attempt = 0
        while not self._closing:
            attempt += 1
            delay = backoff_delay(attempt)
            self._set_status(
                ConnectionStatus(State.RECONNECTING, delay, loop.time() + delay, attempt, reason)
            )
            await asyncio.sleep(delay)  # the back-off itself, not a wait for an event
            try:
                await self._open()
                if self._sub is not None:
                    await self._start_subscription()
                return
            except (TimeoutError, ClientError, RpcError, OSError) as exc:
                reason = str(exc)
                link, self._link = self._link, None
                if link is not None:
                    await link.close()

    def _set_status(self, status: ConnectionStatus) -> None:
        self.status = status
        for callback in list(self._listeners):
            try:
                callback(status)
            except Exception:  # a UI's callback must not break the connection
                log.exception("connection state callback failed")
