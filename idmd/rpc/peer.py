"""One connection's state, shared by the dispatcher and the transport.

The namespaces change it (authenticated, subscription, close); the transport's
writer task drains it. Nothing here touches a socket: the transport hands the
peer its ``Link`` when it makes it, and ``link.wake`` tells the writer there is
something to send.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from idmd.events.subscriber import Subscriber
from idmd.protocol.events import Event
from idmd.rpc.codec import CodecName, encode
from idmd.rpc.fanout import Hub
from idmd.rpc.pairing_registry import PairingRegistry
from idmd.rpc.wire import EventFrames, Variant

if TYPE_CHECKING:
    from idmd.context import DaemonContext

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011


@dataclass
class RpcState:
    """What every connection shares: the daemon, the pairing registry, the live peers."""

    ctx: DaemonContext
    pairing: PairingRegistry
    peers: set[Peer] = field(default_factory=set)
    queue_limit: int = 1024  # events queued per subscriber before non-critical ones are dropped
    wrong_token_delay: float = 1.0  # seconds a wrong token costs (slows guessing)
    frames: EventFrames = field(default_factory=EventFrames)
    _hub: Hub | None = None
    _wrong_tokens: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wrong_token_pause(self) -> None:
        """Wait ``wrong_token_delay`` after a wrong token, one failure at a time across all
        connections: 100 parallel guesses run at one per delay, not 100 per delay."""
        async with self._wrong_tokens:
            await asyncio.sleep(self.wrong_token_delay)

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            self._hub = Hub(self.ctx.bus, self.frames)
        return self._hub

    def check_token(self, token: str) -> tuple[bool, str | None]:
        """(valid, paired client id or None for the daemon's own token); constant time."""
        own = hmac.compare_digest(token.encode("utf-8", "surrogatepass"), self.ctx.token.encode())
        paired = self.pairing.match(token)
        return own or paired is not None, None if own else paired


class Link(Protocol):
    """What a transport does for its peer, handed to the peer when it is made."""

    raw_frames: bool  # takes the hub's ready-made WebSocket frames (not SSE: its own encoding)

    def wake(self) -> None:
        """There is something to send (a reply, events, a close)."""

    def write_now(self, frame: bytes) -> bool:
        """Write one ready WebSocket frame at once if
        the socket is idle; False: queue it instead."""

    def closing(self) -> None:
        """The peer was closed: start closing the transport."""


class Detached:
    """The link of a peer without a transport (the dispatcher's tests): nothing is sent."""

    raw_frames = True

    def wake(self) -> None:
        pass

    def write_now(self, frame: bytes) -> bool:
        return False

    def closing(self) -> None:
        pass


@dataclass(eq=False)
class Subscription:
    """A connection's subscription: its rules' queue
    (``Subscriber``) and how its frames are made."""

    subscriber: Subscriber
    detail: frozenset[str]  # jobs whose progress keeps its segments
    batch: bool  # the client takes several events in one array frame
    start_seq: int  # events up to this seq came through the replay (or are before "now")
    active: bool = False  # events flow once the subscribe reply is queued before them
    ready: deque[str | bytes] = field(
        default_factory=deque
    )  # frames the hub made, sent before the queue

    def next_frames(
        self, frames: EventFrames, variant: Variant, now: float, limit: int
    ) -> list[str | bytes]:
        """Up to ``limit`` encoded events due from the queue (the transport's writer sends them)."""
        out: list[str | bytes] = []
        sub = self.subscriber
        while len(out) < limit:
            event = sub.pop(now)
            if event is None:
                break
            out.append(frames.frame(event, variant, event.job in self.detail))
        return out

    def next_due(self) -> float | None:
        """When a held event may go (None: wait for a wake-up); only once active."""
        return self.subscriber.next_due() if self.active else None


class Peer:
    """One client connection: who it is, its replies (``outbox``) and its subscription."""

    def __init__(
        self,
        state: RpcState,
        link: Link | None = None,
        codec: CodecName = "json",
        now: Callable[[], float] = time.monotonic,
        remote: str = "",
    ) -> None:
        self.state = state
        self.link: Link = link or Detached()
        self.codec: CodecName = codec
        self.remote = remote
        self.now = now
        self.authenticated = False
        self.client: dict[str, str] = {}
        self.client_id: str | None = None  # a paired client's id; None for the daemon token
        self.close_code: int | None = None
        self.close_reason = ""
        self.outbox: deque[str | bytes] = deque()  # encoded replies and messages for this peer only
        self.subscription: Subscription | None = None

    def subscribe(
        self, sub: Subscriber, replay: Iterable[Event], detail: frozenset[str], batch: bool
    ) -> None:
        """Replace the subscription: replay first, then live events (no gap: no await between)."""
        self.unsubscribe()
        now = self.now()
        for event in replay:
            sub.offer(event, now, replay=True)
        self.subscription = Subscription(sub, detail, batch, self.state.ctx.bus.seq)
        self.state.hub.add(self)

    def activate(self) -> None:
        if self.subscription is not None and not self.subscription.active:
            self.subscription.active = True
            self.link.wake()

    def close_too_slow(self) -> None:
        self.close(
            CLOSE_TOO_SLOW, "too slow to receive critical events; reconnect with the last seq"
        )

    def unsubscribe(self) -> None:
        self.state.hub.remove(self)
        self.subscription = None

    def send(self, message: Any) -> None:
        """Queue a message (a reply, or an event for this peer only such as pairing.approved)."""
        self.outbox.append(encode(self.codec, message))
        self.link.wake()

    def close(self, code: int, reason: str = "") -> None:
        if self.close_code is None:
            if code != CLOSE_GOING_AWAY:
                log.info(
                    "closing the connection from %s (%s): %s", self.remote or "?", code, reason
                )
            self.close_code = code
            self.close_reason = reason
            self.link.wake()
            self.link.closing()

    def release(self) -> None:
        """The connection is gone: no listener, no pending pairing left behind."""
        self.unsubscribe()
        self.state.pairing.drop_owner(self)
        self.state.peers.discard(self)
