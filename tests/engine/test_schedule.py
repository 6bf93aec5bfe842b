"""The start order of queued jobs: higher priority first, then first come, first served.

The pick is a heap kept as jobs are queued (``idmd.engine.scheduler``); these
tests hold it to the order users see: priority, then the order jobs were added,
also after a pause, a priority change or a retry, and with thousands queued.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from idmd.engine.scheduler import StartOrder
from idmd.protocol.events import EventType
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, serve

DATA = payload(64 * 1024)
BLOCKER = payload(1024 * 1024, seed=1)


def drain(order: StartOrder) -> list[str]:
    out = []
    while (job := order.pop()) is not None:
        out.append(job)
    return out


def test_the_heap_orders_by_priority_then_age_then_arrival() -> None:
    order = StartOrder()
    order.push("old-low", 0, "2026-01-01T00:00:00.000Z", 0)
    order.push("new-high", 5, "2026-01-01T00:00:09.000Z", 1)
    order.push("same-ms-first", 0, "2026-01-01T00:00:05.000Z", 2)
    order.push("same-ms-second", 0, "2026-01-01T00:00:05.000Z", 3)
    assert drain(order) == ["new-high", "old-low", "same-ms-first", "same-ms-second"]


def test_a_job_that_left_or_changed_priority_is_not_picked_twice() -> None:
    order = StartOrder()
    for n in range(300):
        order.push(f"j{n}", 0, "t", n)
    for n in range(0, 300, 2):
        order.discard(f"j{n}")  # paused or removed: dropped lazily, and the heap is rebuilt
    order.push("j299", 9, "t", 299)  # a priority change moves it to the front
    picked = drain(order)
    assert picked[0] == "j299" and len(picked) == 150 == len(set(picked))
    assert picked[1:] == [f"j{n}" for n in range(1, 299, 2)]
    assert len(order) == 0 and order.pop() is None


async def test_queued_jobs_start_by_priority_then_in_the_order_they_were_added(
    tmp_path: Path,
) -> None:
    site = Site()
    gate = asyncio.Event()

    async def gated(request: web.Request) -> web.StreamResponse:
        # Its first 64 KiB, then nothing until the gate opens: it holds the one slot
        # (a body of one chunk would be sent whole before the stall is looked at).
        return await serve(request, BLOCKER, stall_after=1024, stall=gate)

    site.route("/gate.bin", gated)
    for n in range(12):
        site.file(f"/f{n}.bin", DATA)
    await site.start()
    h = await make_harness(tmp_path, max_active=1)
    try:
        blocker = await h.engine.add(site.url("/gate.bin"), {})
        await h.events.status(blocker["id"], "downloading")
        priorities = [0, 2, 0, 1, 2, 0, 1, 0, 2, 0, 1, 0]
        jobs = [
            await h.engine.add(site.url(f"/f{n}.bin"), {"priority": p})
            for n, p in enumerate(priorities)
        ]
        ids = [j["id"] for j in jobs]
        # A pause and a resume keep the job's place; a new priority moves it; a failed
        # job that is retried takes the place its age gives it.
        await h.engine.pause([ids[0]])
        await h.engine.resume([ids[0]])
        await h.engine.update(ids[11], {"priority": 3})
        priorities[11] = 3
        await h.engine.pause([ids[5]])  # stays paused: never starts
        expected = [blocker["id"]] + [
            ids[n] for n in sorted(range(12), key=lambda n: -priorities[n]) if n != 5
        ]
        gate.set()
        for job_id in expected[1:]:
            await h.events.status(job_id, "completed")
        started = [
            e.job
            for e in h.events.events
            if e.type == EventType.JOB_STATUS and e.data["status"] == "downloading"
        ]
        assert started == expected
        assert h.engine.get(ids[5])["status"] == "paused"
        assert h.engine.stats()["queued"] == 0 and h.engine.stats()["active"] == 0
    finally:
        await close_harness(h)
        await site.close()
