"""How many jobs each named queue may still start: its own ``max_active`` less the jobs of
it that hold a download slot now (and those picked so far in this round).

Pure, so the start order's pick (``idmd.engine.queue.JobQueue.next_to_start``) can be
tested without a server or a clock; the global ``max_active`` is counted there, beside.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


class QueueSlots:
    def __init__(self, caps: Mapping[str, int], running: Iterable[str]) -> None:
        """``caps``: a queue's name to its own max_active (a queue absent has none);
        ``running``: the queue name of each job that holds a download slot now."""
        self._caps = caps
        self._taken = Counter(running)

    def room(self, queue: str) -> bool:
        """Whether a job of ``queue`` may start without the queue passing its max_active."""
        cap = self._caps.get(queue)
        return cap is None or self._taken[queue] < cap

    def take(self, queue: str) -> None:
        """A job of ``queue`` starts: it holds one of the queue's slots."""
        self._taken[queue] += 1
