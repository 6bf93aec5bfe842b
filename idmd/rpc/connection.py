"""One WebSocket connection: a reader that dispatches frames and a writer task
that drains the peer's outbox and subscription. The engine never waits on a
socket: the hub (``fanout.py``) writes an event frame at once only to an idle
socket with nothing buffered, and otherwise queues it for the writer. The
connection is its peer's ``Link``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiohttp import WSMsgType, web

from idmd.protocol.errors import ParseError
from idmd.rpc.codec import CodecName, decode
from idmd.rpc.dispatcher import Dispatcher, error_response
from idmd.rpc.fanout import MAX_BATCH
from idmd.rpc.peer import CLOSE_INTERNAL_ERROR, CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, Peer, RpcState
from idmd.rpc.replies import BatchFrames, encode_reply
from idmd.rpc.wire import EventFrames, combine

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0  # seconds to authenticate after the upgrade
MAX_IN_FLIGHT = 32  # concurrent requests per connection; more wait for a slot
MAX_OUTBOX = 1024  # replies queued for a client that does not read them
CLOSE_GRACE = 2.0  # seconds the writer gets to flush before a close is forced


class Connection:
    raw_frames = True  # takes the hub's ready-made WebSocket frames

    def __init__(
        self,
        ws: web.WebSocketResponse,
        state: RpcState,
        codec: CodecName,
        remote: str,
        dispatcher: Dispatcher,
        frames: EventFrames,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.ws = ws
        self._transport = transport
        self._idle = False  # the writer waits for work: nothing of ours is half-sent
        self.peer = Peer(state, self, codec, asyncio.get_running_loop().time, remote)
        self.dispatcher = dispatcher
        self.frames = frames
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()
        self._writer: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        peer = self.peer
        self._writer = asyncio.create_task(self._write(), name="idmd-rpc-writer")
        timer = loop.call_later(HELLO_TIMEOUT, self._hello_timeout)
        try:
            async for message in self.ws:
                if (
                    message.type not in (WSMsgType.TEXT, WSMsgType.BINARY)
                    or peer.close_code is not None
                ):
                    continue
                if not peer.authenticated:
                    await self._receive(message.data)  # in order: hello must finish before the next
                    continue
                await self._slots.acquire()
                task = asyncio.create_task(self._receive(message.data))
                self._tasks.add(task)
                task.add_done_callback(self._done)
        finally:
            timer.cancel()
            peer.release()
            for task in (*self._tasks, self._writer):
                task.cancel()
            if self._watchdog is not None and self._watchdog is not asyncio.current_task():
                self._watchdog.cancel()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    def _hello_timeout(self) -> None:
        peer = self.peer
        if peer.authenticated or peer.close_code is not None:
            return
        expires = peer.state.pairing.expiry_of(peer)
        if expires is not None:
            # Waiting for a user to approve a pairing code: wait as long as the code lives.
            delay = max(0.1, expires - time.time())
            asyncio.get_running_loop().call_later(delay, self._hello_timeout)
            return
        peer.close(CLOSE_UNAUTHORIZED, f"no session.hello within {HELLO_TIMEOUT:g} s")

    async def _receive(self, data: str | bytes) -> None:
        peer = self.peer
        try:
            message = decode(peer.codec, data)
        except ValueError as exc:
            reply: Any = error_response(
                None, ParseError(f"cannot decode the frame: {str(exc)[:200]}")
            )
        else:
            batch = BatchFrames(peer.codec, len(message)) if isinstance(message, list) else None
            reply = await self.dispatcher.handle(message, peer, batch)
            if batch is not None and batch.frames:
                reply = batch  # encoded already, as the replies came
        if isinstance(reply, BatchFrames):
            peer.outbox.append(reply.frame())
        elif reply is not None:
            peer.outbox.append(await encode_reply(peer.codec, reply))
        if reply is not None:
            if len(peer.outbox) > MAX_OUTBOX:
                peer.close(CLOSE_TOO_SLOW, "not reading replies")
            self._wakeup.set()
        peer.activate()  # a new subscription's events follow its reply

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        peer = self.peer
        try:
            while True:
                self._wakeup.clear()
                while peer.outbox:
                    await self._send(peer.outbox.popleft())
                if peer.close_code is not None:
                    break
                subscription = peer.subscription
                if subscription is not None and subscription.ready:  # the hub's frames come first
                    await self._send(subscription.ready.popleft())
                    continue
                if subscription is not None and subscription.active:
                    limit = MAX_BATCH if subscription.batch else 1
                    frames = subscription.next_frames(self.frames, peer.codec, loop.time(), limit)
                    if frames:
                        await self._send(
                            frames[0] if len(frames) == 1 else combine(peer.codec, frames)
                        )
                        continue
                timeout = None
                due = subscription.next_due() if subscription is not None else None
                if due is not None:
                    timeout = max(0.0, due - loop.time())
                self._idle = True
                try:
                    if timeout is None:
                        await self._wakeup.wait()  # no wait_for: it would cost a task per wake-up
                    else:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wakeup.wait(), timeout)
                finally:
                    self._idle = False
            await self.ws.close(code=peer.close_code, message=peer.close_reason.encode()[:120])
        except (ConnectionError, RuntimeError):
            pass  # the client went away; the reader notices and cleans up
        except Exception:  # a bug: never a silent socket that no longer answers
            log.exception("the writer for %s failed; closing the connection", peer.remote or "?")
            peer.close(CLOSE_INTERNAL_ERROR, "internal error")
            with contextlib.suppress(Exception):
                await self.ws.close(code=CLOSE_INTERNAL_ERROR, message=b"internal error")

    def wake(self) -> None:
        self._wakeup.set()

    def write_now(self, frame: bytes) -> bool:
        """Write a ready frame at once when that cannot interleave with our own writes:
        the writer is idle (every frame it sent is whole in the transport) and the
        transport has nothing buffered (no back-pressure to respect)."""
        transport = self._transport
        peer = self.peer
        if (
            not self._idle
            or transport is None
            or transport.is_closing()
            or self.ws.closed
            or peer.close_code is not None
            or peer.outbox
            or (peer.subscription and peer.subscription.ready)
            or transport.get_write_buffer_size()
        ):
            return False
        transport.write(frame)
        return True

    async def _send(self, frame: str | bytes) -> None:
        if isinstance(frame, str):
            await self.ws.send_str(frame)
        else:
            await self.ws.send_bytes(frame)

    def closing(self) -> None:
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(self._force_close())

    async def _force_close(self) -> None:
        """A writer stuck on a client that does not read
        gets CLOSE_GRACE seconds, then is replaced."""
        writer = self._writer
        assert writer is not None
        done, _ = await asyncio.wait({writer}, timeout=CLOSE_GRACE)
        if done:
            return
        writer.cancel()
        with contextlib.suppress(BaseException):
            await writer
        code = self.peer.close_code or CLOSE_TOO_SLOW
        # No drain: the close frame is queued behind what the client has not read yet.
        with contextlib.suppress(Exception):
            await self.ws.close(
                code=code, message=self.peer.close_reason.encode()[:120], drain=False
            )
