"""Fan-out of bus events to every subscribed connection, cheap when clients keep up.

One bus listener for all peers collects a burst (everything emitted in one turn
of the event loop, e.g. the engine's progress tick for every job) and hands it
out once the turn ends, and at most every ``FLUSH_INTERVAL`` while events keep
coming: many small downloads finishing one after another would otherwise cost
one write to every client, and one wake-up of it, per event. The delivery
rules are ``idmd.events.rules``' and are applied in one of two ways. A peer
that keeps up (nothing queued) gets the burst as its filter selects it,
encoded and framed once per kind of subscriber and written straight to each
idle socket in one write, without waking its writer task; the burst's progress
is held to the rate once for all of them. A peer that is behind, an SSE
stream, or a burst over the rate takes the careful path: event by event through
the peer's own ``Subscriber`` (coalescing, rate, bounds, 4408). Pure asyncio, no aiohttp.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from idmd.events import EventBus
from idmd.events.rules import RateWindow, ends_job
from idmd.protocol.events import Event, EventType
from idmd.rpc.codec import CodecName
from idmd.rpc.wire import EventFrames, combine, ws_frame

if TYPE_CHECKING:
    from idmd.rpc.peer import Peer

MAX_BATCH = 256  # events per batch frame
# Bursts closer together than this are delivered together: a quiet moment's first event goes
# out at the end of its loop turn, a steady stream at 100 writes a second per client at most.
FLUSH_INTERVAL = 0.01


class Hub:
    def __init__(
        self, bus: EventBus, frames: EventFrames, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bus = bus
        self.frames = frames
        self.peers: set[Peer] = set()
        self._clock = clock
        self._pending: list[Event] = []
        self._scheduled = False
        self._flushed_at = -FLUSH_INTERVAL  # when the last burst was delivered
        self._unlisten: Callable[[], None] | None = None
        self._rate = RateWindow()  # the progress sent through the shared path, per job

    def add(self, peer: Peer) -> None:
        self.peers.add(peer)
        if self._unlisten is None:
            self._unlisten = self.bus.listen(self._on_event)

    def remove(self, peer: Peer) -> None:
        self.peers.discard(peer)
        if not self.peers and self._unlisten is not None:
            self._unlisten()  # no listener left behind when nobody subscribes
            self._unlisten = None
            self._pending.clear()
            self._rate.clear()

    def _on_event(self, event: Event) -> None:
        self._pending.append(event)
        if ends_job(event):
            self._rate.forget(event.job)  # keeps the memory to the jobs still moving
        if not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a synchronous caller): deliver now
                self.flush()
                return
            wait = self._flushed_at + FLUSH_INTERVAL - self._clock()
            if wait > 0:
                loop.call_later(wait, self.flush)
            else:
                loop.call_soon(self.flush)
            self._scheduled = True

    def flush(self) -> None:
        """Deliver the pending burst to every subscribed peer."""
        self._scheduled = False
        burst, self._pending = self._pending, []
        if not burst:
            return
        progress = {e.job for e in burst if e.type is EventType.JOB_PROGRESS and e.job is not None}
        # A burst carries at most one progress per job once coalesced (the engine's tick keeps
        # them at 10 Hz); one over the rate takes the careful path, which holds the excess back.
        now = self._flushed_at = self._clock()
        shared = self._rate.allows(progress, now)
        if shared:
            for job in progress:
                self._rate.record(job, now)
        ready: dict[Hashable, tuple[list[str | bytes], bytes]] = {}
        for peer in list(self.peers):
            subscription = peer.subscription
            if subscription is None or peer.close_code is not None:
                continue
            start = subscription.start_seq
            events = burst if burst[0].seq > start else [e for e in burst if e.seq > start]
            if not events:
                continue
            sub, link = subscription.subscriber, peer.link
            if (
                shared
                and link.raw_frames
                and subscription.active
                and not subscription.ready
                and not len(sub)
            ):
                key = (
                    sub.filter.key,
                    subscription.detail,
                    peer.codec,
                    subscription.batch,
                    len(events),
                )
                group = ready.get(key)
                if group is None:
                    frames = self._frames(
                        sub.filter.select(events),
                        peer.codec,
                        subscription.detail,
                        subscription.batch,
                    )
                    # All of the burst's WebSocket frames in one write: one system call per
                    # peer, not one per event (the frames stay separate for the client).
                    group = ready[key] = (frames, b"".join(ws_frame(frame) for frame in frames))
                if group[0] and not link.write_now(
                    group[1]
                ):  # the socket is busy: the writer sends them
                    subscription.ready.extend(group[0])
                    link.wake()
                continue
            now = peer.now()
            for event in events:
                if not sub.offer(event, now):
                    peer.close_too_slow()
                    break
            link.wake()

    def _frames(
        self, events: list[Event], codec: CodecName, detail: frozenset[str], batch: bool
    ) -> list[str | bytes]:
        encoded = [self.frames.frame(e, codec, e.job in detail) for e in events]
        if not batch or len(encoded) < 2:
            return encoded
        return [
            combine(codec, encoded[i : i + MAX_BATCH])
            if len(encoded[i : i + MAX_BATCH]) > 1
            else encoded[i]
            for i in range(0, len(encoded), MAX_BATCH)
        ]
