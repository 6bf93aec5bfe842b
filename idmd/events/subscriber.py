"""One subscriber's bounded event queue: the delivery rules of ``rules.py`` applied
to one client that may fall behind.

Pure (no sockets, no clock of its own: callers pass ``now``) so the rules are
tested alone. The transport's writer (WebSocket or SSE) drains it; the fan-out
only offers.

Rules (docs/protocol.md, Events): a coalesced event (``job.progress`` per job,
``stats``) replaces a still-queued copy, moving to the back so the queue stays
in seq order; ``job.progress`` is delivered at most ``rate`` times per
``window`` seconds per job, a sliding window that tolerates the engine's tick
jitter without delaying anything (a too-early one is held and released when
due, or just before any later event of the same job); non-critical events are dropped when the queue
is full; a critical event that does not fit sets ``overflowed`` (the connection
must be closed, 4408, and the client recovers by replaying from its last seq).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from idmd.events.rules import RATE, WINDOW, EventFilter, RateWindow, ends_job
from idmd.protocol.events import COALESCED, Event, EventType

Key = tuple[EventType, str | None]


class _Slot:
    __slots__ = ("event",)

    def __init__(self, event: Event) -> None:
        self.event: Event | None = event


class Subscriber:
    def __init__(
        self,
        limit: int = 1024,
        jobs: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
        rate: int = RATE,
        window: float = WINDOW,
    ) -> None:
        self.limit = limit
        self.filter = EventFilter(jobs, types)
        self.rate = RateWindow(rate, window)  # job.progress per job (rate 0: no limit)
        self.overflowed = False
        self.dropped = 0  # non-critical events lost to a full queue
        self._queue: deque[_Slot] = deque()
        self._live = 0
        self._queued: dict[Key, _Slot] = {}  # coalesced events still in the queue
        self._held: dict[Key, Event] = {}  # progress that arrived too early

    def __len__(self) -> int:
        return self._live + len(self._held)

    def offer(self, event: Event, now: float, *, replay: bool = False) -> bool:
        """Queue ``event`` if wanted; False when a critical event did not fit (overflow).

        ``replay`` events (the catch-up after subscribing) are not held back by the
        progress rate and may exceed ``limit``: they are the retained window, bounded already.
        """
        if self.overflowed:
            return False
        # The careful path of fan-out: every event, for each subscriber that is behind.
        kind, job = event.type, event.job
        if not self.filter.wants(event):
            return True
        held = self._held
        if held and job is not None:
            self._release_job(job, except_key=(kind, job))
        if ends_job(event):
            self.rate.forget(job)
        if kind in COALESCED:
            key = (kind, job)
            if held:
                held.pop(key, None)
            old = self._queued.pop(key, None)
            if old is not None:  # the newest copy wins and moves to the back, keeping seq order
                old.event = None
                self._live -= 1
            elif not replay and kind is EventType.JOB_PROGRESS and self.rate.too_soon(job, now):
                held[key] = event
                return True
            if self._live >= self.limit and not replay:
                self.dropped += 1
                return True
            self._queued[key] = self._append(event)
            return True
        if self._live >= self.limit and not replay:
            if event.critical:
                self.overflowed = True
                return False
            self.dropped += 1
            return True
        self._append(event)
        return True

    def pop(self, now: float) -> Event | None:
        """The next event to send, or None when nothing is due (see ``next_due``)."""
        if self._held:
            self._release_due(now)
        while self._queue:
            slot = self._queue.popleft()
            event = slot.event
            if event is None:
                continue
            self._live -= 1
            if event.type in COALESCED:
                key = (event.type, event.job)
                if self._queued.get(key) is slot:
                    del self._queued[key]
                if event.type is EventType.JOB_PROGRESS:
                    self.rate.record(event.job, now)
            return event
        return None

    def next_due(self) -> float | None:
        """When the earliest held progress event may be sent, on the caller's clock."""
        if not self._held:
            return None
        return min(self.rate.due(job) for _, job in self._held)

    def _append(self, event: Event) -> _Slot:
        slot = _Slot(event)
        self._queue.append(slot)
        self._live += 1
        return slot

    def _release_due(self, now: float) -> None:
        if not self._held:
            return
        due = [k for k in self._held if not self.rate.too_soon(k[1], now)]
        for key in sorted(due, key=lambda k: self._held[k].seq):
            self._queued[key] = self._append(self._held.pop(key))

    def _release_job(self, job: str, except_key: Key) -> None:
        key = (EventType.JOB_PROGRESS, job)
        if key != except_key and key in self._held:
            # Progress goes out before any later event of its job, so a client
            # never applies stale numbers after a newer status.
            self._queued[key] = self._append(self._held.pop(key))
