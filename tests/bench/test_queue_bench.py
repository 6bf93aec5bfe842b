"""Queue benchmark: ``jobs.add_many`` into a daemon that already holds thousands of jobs.

A real daemon (default settings: 3 jobs at a time) gets 10,000 jobs in calls of
500, through ``idmd.client`` as a user's script would send them. The URLs point
at a loopback server that answers 404 at once, so jobs keep finishing while
more are added: each finish frees a slot and the engine picks the next queued
job. With a pick that scans every job, the calls slow down as the queue grows
(issue: 0.4 s to 4.9 s per call at about 9,000 jobs); with an incremental one
the last calls cost about what the first did. Prints the wall time of the first
and last calls, their ratio, and the daemon's CPU; then how many jobs the queue
gets through in a second with 500 and with all the jobs queued (each finish
picks the next job). Figures, not asserts (a shared machine makes timed asserts
flaky). ``IDM_BENCH_JOBS`` changes the total.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.client import Client
from tests.daemon_process import DaemonProcess

JOBS = int(os.environ.get("IDM_BENCH_JOBS", "10000"))
PER_CALL = 500
EDGE = 3  # calls averaged at the start and at the end
THROUGHPUT_WINDOW = 3.0  # seconds the queue runs alone to count finished jobs
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


@pytest.fixture
async def missing() -> AsyncIterator[str]:
    """A loopback server with no files: every job fails at its first response."""

    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/{name}", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def finish_rate(client: Client) -> float:
    """Jobs finished per second while nothing else is sent (the queue's own pace)."""
    before = (await client.call("daemon.stats"))["totals"]["failed"]
    started = time.perf_counter()
    await asyncio.sleep(THROUGHPUT_WINDOW)  # a measurement window, not a wait for an event
    after = (await client.call("daemon.stats"))["totals"]["failed"]
    return (after - before) / (time.perf_counter() - started)


async def test_add_many_costs_the_same_with_ten_thousand_jobs(idm_home: Path, missing: str) -> None:
    daemon = DaemonProcess(idm_home).start()
    try:
        pid = daemon.info["pid"]
        async with await Client.connect(daemon.url, daemon.token) as client:
            walls: list[float] = []
            cpus: list[float] = []
            rates: list[float] = []
            for call in range(JOBS // PER_CALL):
                items = [
                    {"url": f"{missing}/c{call}-{i}.bin", "options": {}} for i in range(PER_CALL)
                ]
                cpu, started = cpu_seconds(pid), time.perf_counter()
                added = await client.call("jobs.add_many", {"items": items}, timeout=300)
                walls.append(time.perf_counter() - started)
                cpus.append(cpu_seconds(pid) - cpu)
                assert len(added) == PER_CALL and all("id" in job for job in added)
                if call in (0, JOBS // PER_CALL - 1):
                    rates.append(await finish_rate(client))
            stats = await client.call("daemon.stats")
    finally:
        daemon.stop()
    first, last = statistics.median(walls[:EDGE]), statistics.median(walls[-EDGE:])
    print(
        f"\njobs.add_many of {PER_CALL} jobs into a daemon reaching {JOBS} jobs "
        "(3 at a time, each failing "
        f"at once), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'calls':>12} {'wall s':>7} {'daemon CPU s':>12}")
    print(f"{'first ' + str(EDGE):>12} {first:>7.3f} {statistics.median(cpus[:EDGE]):>12.3f}")
    print(f"{'last ' + str(EDGE):>12} {last:>7.3f} {statistics.median(cpus[-EDGE:]):>12.3f}")
    print(f"last / first: {last / first:.2f}x; every call: {' '.join(f'{w:.2f}' for w in walls)}")
    print(
        f"jobs finished per second: {rates[0]:.0f} with {PER_CALL} queued,"
        f" {rates[-1]:.0f} with {JOBS} queued"
    )
    print(f"finished meanwhile: {stats['totals']['failed']} failed, {stats['queued']} still queued")
