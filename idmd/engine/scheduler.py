"""Which queued job starts next: higher priority first, then the oldest, then the first added.

Pure: ``StartOrder`` is a heap of the queued jobs' keys, so adding a job and
picking the next one cost O(log n) however many jobs exist. Entries of jobs
that left the queue (or changed priority) are dropped lazily when they reach
the top, and the heap is rebuilt when such stale entries outnumber live ones.
"""

from __future__ import annotations

import heapq

# (-priority, created_at, order, job id): the smallest key starts first. ``order``
# is the job's place in the engine's table, so equal keys keep the order jobs came in.
Key = tuple[int, str, int, str]


class StartOrder:
    def __init__(self) -> None:
        self._heap: list[Key] = []
        self._live: dict[str, Key] = {}  # job id -> its current key

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._live

    def push(self, job_id: str, priority: int, created_at: str, order: int) -> None:
        """Queue a job, or move it after a priority change."""
        key = (-priority, created_at, order, job_id)
        if self._live.get(job_id) == key:
            return
        self._live[job_id] = key
        heapq.heappush(self._heap, key)

    def discard(self, job_id: str) -> None:
        """The job is no longer queued (started, paused, removed...)."""
        if self._live.pop(job_id, None) is not None and len(self._heap) > 2 * len(self._live) + 64:
            self._heap = list(self._live.values())
            heapq.heapify(self._heap)

    def pop(self) -> str | None:
        """The id of the job to start next (now no longer queued here), or None."""
        heap, live = self._heap, self._live
        while heap:
            key = heapq.heappop(heap)
            if live.get(key[3]) == key:
                del live[key[3]]
                return key[3]
        return None
