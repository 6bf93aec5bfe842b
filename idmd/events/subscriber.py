"""One subscriber's bounded event queue: filtering, progress coalescing, overflow.

Pure (no sockets, no clock of its own: callers pass ``now``) so the rules are
tested alone. The RPC writer task drains it; the bus listener only offers.

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

from idmd.protocol.events import COALESCED, Event, EventType
from idmd.protocol.jobs import FINISHED

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
        rate: int = 10,
        window: float = 1.0,
    ) -> None:
        self.limit = limit
        self.jobs = frozenset(jobs) if jobs is not None else None
        self.types = frozenset(EventType(t) for t in types) if types is not None else None
        self.rate = rate  # 0: no limit
        self.window = window
        self.overflowed = False
        self.dropped = 0  # non-critical events lost to a full queue
        self._queue: deque[_Slot] = deque()
        self._live = 0
        self._queued: dict[Key, _Slot] = {}  # coalesced events still in the queue
        self._held: dict[Key, Event] = {}  # progress that arrived too early
        self._sent: dict[Key, deque[float]] = {}  # the last ``rate`` send times per job

    def __len__(self) -> int:
        return self._live + len(self._held)

    def wants(self, event: Event) -> bool:
        if self.types is not None and event.type not in self.types:
            return False
        return self.jobs is None or event.job is None or event.job in self.jobs

    def offer(self, event: Event, now: float, *, replay: bool = False) -> bool:
        """Queue ``event`` if wanted; False when a critical event did not fit (overflow).

        ``replay`` events (the catch-up after subscribing) are not held back by the
        progress rate and may exceed ``limit``: they are the retained window, bounded already.
        """
        if self.overflowed:
            return False
        # The hot path of fan-out (every event, every subscriber): locals and inlined checks.
        kind, job = event.type, event.job
        if (self.types is not None and kind not in self.types) or (
            self.jobs is not None and job is not None and job not in self.jobs
        ):
            return True
        held = self._held
        if held and job is not None:
            self._release_job(job, except_key=(kind, job))
        if job is not None and (kind is EventType.JOB_REMOVED or (
                kind is EventType.JOB_STATUS and event.data.get("status") in FINISHED)):
            self.forget_job(job)
        if kind in COALESCED:
            key = (kind, job)
            if held:
                held.pop(key, None)
            old = self._queued.pop(key, None)
            if old is not None:  # the newest copy wins and moves to the back, keeping seq order
                old.event = None
                self._live -= 1
            elif not replay and kind is EventType.JOB_PROGRESS and self._too_soon(key, now):
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
                if event.type is EventType.JOB_PROGRESS and self.rate:
                    sent = self._sent.get(key)
                    if sent is None:
                        sent = self._sent[key] = deque(maxlen=self.rate)
                    sent.append(now)
            return event
        return None

    def next_due(self) -> float | None:
        """When the earliest held progress event may be sent, on the caller's clock."""
        if not self._held:
            return None
        return min(self._due(key) for key in self._held)

    def forget_job(self, job: str) -> None:
        """Drop the rate-limit memory of a removed job (keeps the dict small)."""
        self._sent.pop((EventType.JOB_PROGRESS, job), None)

    def _too_soon(self, key: Key, now: float) -> bool:
        sent = self._sent.get(key)
        if sent is None or len(sent) < self.rate:  # with rate 0 nothing is recorded: never too soon
            return False
        return now + 1e-6 < sent[0] + self.window  # the tolerance absorbs float rounding of tick times

    def _due(self, key: Key) -> float:
        sent = self._sent.get(key)
        if not self.rate or sent is None or len(sent) < self.rate:
            return float("-inf")
        return sent[0] + self.window

    def _append(self, event: Event) -> _Slot:
        slot = _Slot(event)
        self._queue.append(slot)
        self._live += 1
        return slot

    def _release_due(self, now: float) -> None:
        if not self._held:
            return
        due = [k for k in self._held if not self._too_soon(k, now)]
        for key in sorted(due, key=lambda k: self._held[k].seq):
            self._queued[key] = self._append(self._held.pop(key))

    def _release_job(self, job: str, except_key: Key) -> None:
        key = (EventType.JOB_PROGRESS, job)
        if key != except_key and key in self._held:
            # Progress goes out before any later event of its job, so a client
            # never applies stale numbers after a newer status.
            self._queued[key] = self._append(self._held.pop(key))
