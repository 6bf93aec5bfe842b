"""Which queued jobs start next: higher priority first, then the oldest.

Pure; the engine calls ``pick`` whenever a slot frees up or the queue changes.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from idmd.engine.jobs import Job
from idmd.protocol.jobs import Status


def pick(jobs: Iterable[Job], running: int, max_active: int) -> list[Job]:
    """The queued jobs to start now so that at most ``max_active`` run."""
    free = max_active - running
    if free <= 0:
        return []
    queued = (j for j in jobs if j.status == Status.QUEUED)
    return heapq.nsmallest(free, queued, key=lambda j: (-j.priority, j.created_at))
