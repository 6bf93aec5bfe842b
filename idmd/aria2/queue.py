"""aria2's view of idm's queue, pure: the waiting order, aria2's offset/num
windows (a negative offset counts from the end and lists backwards), and
``changePosition`` expressed as a job priority (idm orders its queue by
priority, then age, as ``idmd.engine.scheduler`` does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
PRIORITY_MIN, PRIORITY_MAX = -1000, 1000


def priority(job: Mapping[str, Any]) -> int:
    return int((job.get("options") or {}).get("priority") or 0)


def queue_key(job: Mapping[str, Any]) -> tuple[int, str]:
    return -priority(job), str(job.get("created_at") or "")


def window(items: list[T], offset: int, num: int) -> list[T]:
    """aria2's ``tellWaiting``/``tellStopped`` slice:
    offset -1 is the last item, listed backwards."""
    if num <= 0:
        return []
    if offset >= 0:
        return items[offset : offset + num]
    start = len(items) + offset
    if start < 0:
        return []
    return items[max(0, start - num + 1) : start + 1][::-1]


def target_index(current: int, count: int, pos: int, how: str) -> int:
    """Where ``changePosition(pos, how)`` asks the job to go, clamped to the queue."""
    base = {"POS_SET": 0, "POS_CUR": current, "POS_END": count - 1}[how]
    return max(0, min(count - 1, base + pos))


def priority_for(job: Mapping[str, Any], others: Sequence[Mapping[str, Any]], index: int) -> int:
    """A priority that puts ``job`` at ``index`` among ``others`` (the queue without it),
        as near as whole priorities and ages allow (ties of priority leave no room between
    two jobs: then ``renumber``)."""
    before = others[index - 1] if index > 0 else None
    after = others[index] if index < len(others) else None
    created = str(job.get("created_at") or "")
    if before is None and after is None:
        wanted = priority(job)
    elif before is None:
        assert after is not None
        wanted = priority(after) + (0 if created < str(after.get("created_at") or "") else 1)
    elif after is None:
        wanted = priority(before) - (0 if created > str(before.get("created_at") or "") else 1)
    else:
        high, low = priority(before), priority(after)
        if high - low >= 2:
            wanted = low + 1
        elif created > str(before.get("created_at") or "") and high != low:
            wanted = high
        else:
            wanted = low if created < str(after.get("created_at") or "") else high
    return max(PRIORITY_MIN, min(PRIORITY_MAX, wanted))


def renumber(order: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Priorities that make ``order`` the queue's order exactly, centred on 0: only
    the jobs whose priority changes (at most 2,001 jobs fit the priority range)."""
    if len(order) > PRIORITY_MAX - PRIORITY_MIN + 1:
        return {}
    top = (len(order) - 1) // 2
    wanted = {str(job["id"]): top - index for index, job in enumerate(order)}
    return {
        job_id: p
        for job_id, p in wanted.items()
        if p != priority(next(j for j in order if str(j["id"]) == job_id))
    }
