"""Fan-out of bus events to every subscribed connection, cheap when clients keep up.

One bus listener for all peers collects a burst (everything emitted in one turn
of the event loop, e.g. the engine's progress tick for every job) and hands it
out once the turn ends. A peer that has nothing queued gets ready-made frames:
the burst is filtered, coalesced, encoded and framed once per kind of
subscriber, and written straight to each idle socket, all in one write, without
waking its writer task. A peer that is behind takes the careful path, event by event through its
``Subscriber`` (coalescing, rate, bounds, 4408). Pure asyncio, no aiohttp.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from idmd.events import EventBus
from idmd.protocol.events import COALESCED, Event, EventType
from idmd.protocol.jobs import FINISHED
from idmd.rpc.codec import CodecName
from idmd.rpc.wire import EventFrames, combine, ws_frame

if TYPE_CHECKING:
    from idmd.rpc.peer import Peer

MAX_BATCH = 256  # events per batch frame
RATE, WINDOW = 10, 1.0  # job.progress per job through the shared path: at most RATE per WINDOW seconds


def select(events: list[Event], types: frozenset[EventType] | None, jobs: frozenset[str] | None) -> list[Event]:
    """The events a subscriber wants, in order, keeping only the last of each coalesced (type, job)."""
    wanted = [e for e in events if (types is None or e.type in types)
              and (jobs is None or e.job is None or e.job in jobs)]
    last: dict[tuple[EventType, str | None], int] = {}
    for index, event in enumerate(wanted):
        if event.type in COALESCED:
            last[(event.type, event.job)] = index
    if len(last) == sum(1 for e in wanted if e.type in COALESCED):
        return wanted
    return [e for i, e in enumerate(wanted) if e.type not in COALESCED or last[(e.type, e.job)] == i]


class Hub:
    def __init__(self, bus: EventBus, frames: EventFrames, clock: Callable[[], float] = time.monotonic) -> None:
        self.bus = bus
        self.frames = frames
        self.peers: set[Peer] = set()
        self._clock = clock
        self._pending: list[Event] = []
        self._scheduled = False
        self._unlisten: Callable[[], None] | None = None
        self._sent: dict[str, deque[float]] = {}  # shared-path progress times per job

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
            self._sent.clear()

    def _on_event(self, event: Event) -> None:
        self._pending.append(event)
        if event.job is not None and (event.type is EventType.JOB_REMOVED or (
                event.type is EventType.JOB_STATUS and event.data.get("status") in FINISHED)):
            self._sent.pop(event.job, None)  # keeps the memory to the jobs still moving
        if not self._scheduled:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop (a synchronous caller): deliver now
                self.flush()
                return
            self._scheduled = True

    def flush(self) -> None:
        """Deliver the pending burst to every subscribed peer."""
        self._scheduled = False
        burst, self._pending = self._pending, []
        if not burst:
            return
        shared = self._rate_allows(burst)
        ready: dict[Hashable, tuple[list[str | bytes], bytes]] = {}
        for peer in list(self.peers):
            sub = peer.subscriber
            if sub is None or peer.close_code is not None:
                continue
            events = burst if burst[0].seq > peer.start_seq else [e for e in burst if e.seq > peer.start_seq]
            if not events:
                continue
            if shared and peer.fast and peer.active and not peer.event_frames and not len(sub):
                key = (sub.types, sub.jobs, peer.detail, peer.codec, peer.batch, len(events))
                group = ready.get(key)
                if group is None:
                    frames = self._frames(select(events, sub.types, sub.jobs), peer.codec, peer.detail, peer.batch)
                    # All of the burst's WebSocket frames in one write: one system call per
                    # peer, not one per event (the frames stay separate for the client).
                    group = ready[key] = (frames, b"".join(ws_frame(frame) for frame in frames))
                if group[0] and not peer.write_now(group[1]):  # the socket is busy: the writer sends them
                    peer.event_frames.extend(group[0])
                    peer.wake()
                continue
            now = peer.now()
            for event in events:
                if not sub.offer(event, now):
                    peer.close_too_slow()
                    break
            peer.wake()

    def _frames(self, events: list[Event], codec: CodecName, detail: frozenset[str], batch: bool) -> list[str | bytes]:
        encoded = [self.frames.frame(e, codec, e.job in detail) for e in events]
        if not batch or len(encoded) < 2:
            return encoded
        return [combine(codec, encoded[i:i + MAX_BATCH]) if len(encoded[i:i + MAX_BATCH]) > 1
                else encoded[i] for i in range(0, len(encoded), MAX_BATCH)]

    def _rate_allows(self, burst: list[Event]) -> bool:
        """Whether the burst's progress stays within RATE per WINDOW per job; records it if so.

        A burst carries at most one progress per job once coalesced; the engine's
        tick keeps bursts at 10 Hz. When something floods, the burst takes the
        careful per-subscriber path, which holds the excess back.
        """
        jobs = {e.job for e in burst if e.type is EventType.JOB_PROGRESS and e.job is not None}
        if not jobs:
            return True
        now = self._clock()
        for job in jobs:
            sent = self._sent.get(job)
            if sent is not None and len(sent) == RATE and now + 1e-6 < sent[0] + WINDOW:
                return False
        for job in jobs:
            sent = self._sent.get(job)
            if sent is None:
                sent = self._sent[job] = deque(maxlen=RATE)
            sent.append(now)
        return True
