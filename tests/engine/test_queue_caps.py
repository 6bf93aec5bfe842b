"""A named queue's own ``max_active``, in the pure start order (``JobQueue.next_to_start``
with ``idmd.core.queueslots``): no server, no clock. A capped queue never has more of its
jobs running than its cap, the global max_active still applies, and the other queues'
jobs take the slots it leaves."""

from __future__ import annotations

from dataclasses import dataclass

from idmd.engine.jobs import Job
from idmd.engine.queue import JobQueue
from idmd.events import EventBus
from idmd.protocol.jobs import Status


@dataclass
class Run:
    job: Job

    async def stop(self) -> None:
        pass

    def set_rate(self, rate: int) -> None:
        pass


def table(*queues: str) -> JobQueue:
    """Queued jobs, one per name in ``queues`` (the queue it waits in), oldest first."""
    jobs = JobQueue(store=None, bus=EventBus())
    for n, queue in enumerate(queues):
        jobs.put(Job(id=f"{queue}-{n}", url=f"http://127.0.0.1/{n}", options={"queue": queue}))
    return jobs


def start(jobs: JobQueue, max_active: int, caps: dict[str, int]) -> list[str]:
    """One round of ``Engine.schedule``: the picked jobs become running ones."""
    picked = jobs.next_to_start(max_active, None, caps)
    for job in picked:
        jobs.mark(job, Status.DOWNLOADING)
        jobs.running(Run(job))
    return [job.id for job in picked]


def test_a_capped_queue_runs_at_most_its_cap_and_others_take_the_free_slots() -> None:
    jobs = table("night", "night", "night", "default", "night", "default")
    assert start(jobs, 4, {"night": 2}) == ["night-0", "night-1", "default-3", "default-5"]
    assert start(jobs, 10, {"night": 2}) == []  # night is full; nothing else waits
    jobs.ended(jobs.runs()[0])  # night-0 ends
    assert start(jobs, 10, {"night": 2}) == ["night-2"]  # its slot goes to the next night job
    assert start(jobs, 10, {"night": 3}) == ["night-4"]  # a raised cap: one more


def test_the_global_max_active_still_applies_and_finishing_jobs_hold_no_slot() -> None:
    jobs = table("a", "a", "a", "b")
    assert start(jobs, 1, {"a": 2}) == ["a-0"]  # the global limit is the tighter one
    jobs.finishing("a-0")  # past its last byte: its slot (global and the queue's) is free
    assert start(jobs, 2, {"a": 2}) == ["a-1", "a-2"]
    assert start(jobs, 5, {"a": 2}) == ["b-3"]


def test_no_caps_is_the_global_limit_alone() -> None:
    jobs = table("a", "a", "a")
    assert start(jobs, 3, {}) == ["a-0", "a-1", "a-2"]
