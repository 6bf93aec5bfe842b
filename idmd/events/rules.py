"""The delivery rules every subscriber gets, written once: which events it wants,
which of a burst are kept (the newest copy of a coalesced event), and how often
one job's progress may go out.

Pure (callers pass ``now``). ``Subscriber`` applies them to one client's queue;
the RPC fan-out (``idmd.rpc.fanout``) applies the same ones to a whole burst
for the clients that keep up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable

from idmd.protocol.events import COALESCED, Event, EventType
from idmd.protocol.jobs import FINISHED

RATE, WINDOW = 10, 1.0  # job.progress per job: at most RATE per WINDOW seconds


def ends_job(event: Event) -> bool:
    """The job is gone or finished: no more progress will come for it."""
    return event.job is not None and (
        event.type is EventType.JOB_REMOVED
        or (event.type is EventType.JOB_STATUS and event.data.get("status") in FINISHED)
    )


class EventFilter:
    """``types`` and ``jobs`` of a subscription (None: all); events without a job always pass."""

    __slots__ = ("jobs", "key", "types")

    def __init__(
        self, jobs: Iterable[str] | None = None, types: Iterable[str] | None = None
    ) -> None:
        self.jobs = frozenset(jobs) if jobs is not None else None
        self.types = frozenset(EventType(t) for t in types) if types is not None else None
        self.key: Hashable = (self.types, self.jobs)  # equal filters select the same events

    def wants(self, event: Event) -> bool:
        return (self.types is None or event.type in self.types) and (
            self.jobs is None or event.job is None or event.job in self.jobs
        )

    def select(self, events: list[Event]) -> list[Event]:
        """The wanted events of a burst in order, keeping
        only the last of each coalesced (type, job)."""
        wanted = [e for e in events if self.wants(e)]
        last: dict[tuple[EventType, str | None], int] = {}
        for index, event in enumerate(wanted):
            if event.type in COALESCED:
                last[(event.type, event.job)] = index
        if len(last) == sum(1 for e in wanted if e.type in COALESCED):
            return wanted
        return [
            e for i, e in enumerate(wanted) if e.type not in COALESCED or last[(e.type, e.job)] == i
        ]


class RateWindow:
    """When each job's last ``rate`` progress events went out: a sliding window that
    tolerates the engine's tick jitter without delaying anything (``rate`` 0: no limit)."""

    def __init__(self, rate: int = RATE, window: float = WINDOW) -> None:
        self.rate = rate
        self.window = window
        self._sent: dict[str | None, deque[float]] = {}

    def too_soon(self, job: str | None, now: float) -> bool:
        sent = self._sent.get(job)
        if sent is None or len(sent) < self.rate:  # with rate 0 nothing is recorded: never too soon
            return False
        return (
            now + 1e-6 < sent[0] + self.window
        )  # the tolerance absorbs float rounding of tick times

    def due(self, job: str | None) -> float:
        """When the job's next progress may go out (-inf: now)."""
        sent = self._sent.get(job)
        if not self.rate or sent is None or len(sent) < self.rate:
            return float("-inf")
        return sent[0] + self.window

    def record(self, job: str | None, now: float) -> None:
        if not self.rate:
            return
        sent = self._sent.get(job)
        if sent is None:
            sent = self._sent[job] = deque(maxlen=self.rate)
        sent.append(now)

    def allows(self, jobs: Iterable[str | None], now: float) -> bool:
        """Whether each of ``jobs`` may send one progress now."""
        return not any(self.too_soon(job, now) for job in jobs)

    def forget(self, job: str | None) -> None:
        """Drop a finished or removed job's memory (keeps the dict small)."""
        self._sent.pop(job, None)

    def clear(self) -> None:
        self._sent.clear()
