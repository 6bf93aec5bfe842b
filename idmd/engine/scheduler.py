"""Which queued job starts next: higher priority first, then the oldest, then the first added.

Pure: ``StartOrder`` keeps one heap of keys per named queue (``group``), so
adding a job and picking the next one cost O(log n) however many jobs exist,
and the jobs of a queue whose schedule is closed are passed over without
being looked at. Entries of jobs that left the queue (or changed priority or
queue) are dropped lazily when they reach the top, and the heaps are rebuilt
when such stale entries outnumber live ones.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

# (-priority, created_at, order, job id): the smallest key starts first. ``order``
# is the job's place in the engine's table, so equal keys keep the order jobs came in.
Key = tuple[int, str, int, str]
DEFAULT_GROUP = "default"


class StartOrder:
    def __init__(self) -> None:
        self._heaps: dict[str, list[Key]] = {}
        self._live: dict[str, tuple[str, Key]] = {}  # job id -> (its group, its current key)
        self._entries = 0  # heap entries, live and stale

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._live

    def push(
        self, job_id: str, priority: int, created_at: str, order: int, group: str = DEFAULT_GROUP
    ) -> None:
        """Queue a job, or move it after a change of priority or of queue."""
        key = (-priority, created_at, order, job_id)
        if self._live.get(job_id) == (group, key):
            return
        self._live[job_id] = (group, key)
        heapq.heappush(self._heaps.setdefault(group, []), key)
        self._entries += 1

    def discard(self, job_id: str) -> None:
        """The job is no longer queued (started, paused, removed...)."""
        if self._live.pop(job_id, None) is not None and self._entries > 2 * len(self._live) + 64:
            self._heaps = {}
            for group, key in self._live.values():
                self._heaps.setdefault(group, []).append(key)
            for heap in self._heaps.values():
                heapq.heapify(heap)
            self._entries = len(self._live)

    def _top(self, group: str) -> Key | None:
        """The group's first live key (stale entries above it dropped)."""
        heap = self._heaps[group]
        while heap:
            key = heap[0]
            if self._live.get(key[3]) == (group, key):
                return key
            heapq.heappop(heap)
            self._entries -= 1
        return None

    def pop(self, allowed: Callable[[str], bool] | None = None) -> str | None:
        """The id of the job to start next among the groups ``allowed`` lets start (all: None);
        it is then no longer queued here. None when no such job waits."""
        best: tuple[Key, str] | None = None
        for group in list(self._heaps):
            if allowed is not None and not allowed(group):
                continue
            key = self._top(group)
            if key is None:
                del self._heaps[group]
            elif best is None or key < best[0]:
                best = (key, group)
        if best is None:
            return None
        key, group = best
        heapq.heappop(self._heaps[group])
        self._entries -= 1
        del self._live[key[3]]
        return key[3]
