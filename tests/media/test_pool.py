"""The warm media worker: reused, never more than one idle, gone with the engine.

Real worker processes, found through /proc; the engine is an in-process one
with a real Store (tests/media/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from idmd.engine.media.pool import WorkerPool
from idmd.engine.media.process import Spawned, run_worker
from tests.media.conftest import Jobs, open_jobs
from tests.media.helpers import worker_pids
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media


async def gone(pid: int, timeout: float = 20.0) -> None:
    """Waits until ``pid`` is no longer a worker of this process."""
    async with asyncio.timeout(timeout):
        while pid in worker_pids():
            await asyncio.sleep(0.05)


async def test_probes_and_adds_reuse_one_warm_worker(server: MediaServer, jobs: Jobs) -> None:
    await jobs.engine.probe(server.url("page.html"), {"mode": "media"})
    first = jobs.engine.media.pool.idle
    assert first is not None and worker_pids() == [first.pid]
    await jobs.engine.probe(server.url("hls.html"), {"mode": "media"})
    server.set_gate(True)
    done = await jobs.download(server.url("big.html"), mode="media")
    assert done["status"] == "completed", done["error"]
    assert jobs.engine.media.pool.spawned == 1  # two probes and an add, one process
    assert jobs.engine.media.pool.idle is first and first.requests == 3
    assert worker_pids() == [first.pid]


async def test_the_spare_started_with_the_daemon_serves_the_first_request(
    server: MediaServer, jobs: Jobs
) -> None:
    jobs.engine.warm()
    jobs.engine.media.pool.fill()  # what warm() schedules a moment after start-up
    await jobs.engine.probe(server.url("page.html"), {"mode": "media"})
    spare = jobs.engine.media.pool.idle
    assert spare is not None and spare.requests == 1
    assert jobs.engine.media.pool.spawned == 1


async def test_a_downloading_worker_is_replaced_by_a_warm_spare(
    server: MediaServer, jobs: Jobs
) -> None:
    done = await jobs.download(server.url("f/hls/master.m3u8"), quality="360p")
    assert done["status"] == "completed", done["error"]
    spare = jobs.engine.media.pool.idle
    assert spare is not None and spare.requests == 0  # warming up for the next job, nothing else
    assert worker_pids() == [spare.pid]  # the downloading worker exited


async def test_concurrent_probes_leave_at_most_one_idle_worker(
    server: MediaServer, jobs: Jobs
) -> None:
    urls = [server.url(p) for p in ("page.html", "hls.html", "two.html")]
    await asyncio.gather(*(jobs.engine.probe(u, {"mode": "media"}) for u in urls))
    idle = jobs.engine.media.pool.idle
    assert idle is not None
    assert jobs.engine.media.pool.spawned == 3
    assert worker_pids() == [idle.pid]


async def test_the_idle_worker_dies_with_the_engine(server: MediaServer, tmp_path: Path) -> None:
    jobs = await open_jobs(tmp_path)
    try:
        await jobs.engine.probe(server.url("page.html"), {"mode": "media"})
        assert len(worker_pids()) == 1
    finally:
        await jobs.close()
    assert worker_pids() == []


async def test_an_unused_idle_worker_is_let_go(server: MediaServer) -> None:
    pool = WorkerPool(idle_keep=0.2)
    try:
        outcome = await run_worker({"mode": "probe", "url": server.url("page.html")}, pool=pool)
        assert outcome.result is not None, outcome.message()
        idle = pool.idle
        assert idle is not None
        await gone(idle.pid)
        assert pool.idle is None
    finally:
        await pool.close()


async def test_a_dead_idle_worker_is_replaced_not_used(server: MediaServer) -> None:
    pool = WorkerPool()
    try:
        await run_worker({"mode": "probe", "url": server.url("page.html")}, pool=pool)
        dead = pool.idle
        assert dead is not None
        os.kill(dead.pid, 9)
        await dead.wait()
        outcome = await run_worker({"mode": "probe", "url": server.url("page.html")}, pool=pool)
        assert outcome.result is not None, outcome.message()
        assert pool.spawned == 2 and pool.idle is not dead
    finally:
        await pool.close()


async def test_a_spare_that_cannot_start_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> Spawned:
        raise OSError("no fork today")

    pool = WorkerPool(spawn=broken)
    pool.fill()
    await pool.close()
    assert "cannot start a spare media worker" in caplog.text
