"""Retry later: a job failed by the network comes back on its own after a growing wait.

The engine gets a clock the tests move (no sleeping for time); the servers are
real ones on 127.0.0.1 that are down (503, nobody listening) and then up again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from idmd.config import Config
from idmd.engine.retry_later import from_iso, transient
from idmd.protocol.events import Event, EventType
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import Site, closed_port, payload, serve

WAIT = 60.0  # auto_retry_wait: the first wait is 30 to 60 s (half of it is random)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": "network", "message": "cannot connect to h:1: connection refused"}, True),
        ({"code": "stalled", "message": "the server sent nothing within the stall timeout"}, True),
        ({"code": "http", "message": "HTTP 503 Service Unavailable"}, True),
        ({"code": "http", "message": "HTTP 429 Too Many Requests"}, True),
        ({"code": "http", "message": "HTTP 404 Not Found"}, False),
        ({"code": "http", "message": "HTTP 401 Unauthorized"}, False),
        ({"code": "checksum", "message": "sha256 mismatch"}, False),
        ({"code": "no_space", "message": "disk full"}, False),
        (None, False),
    ],
)
def test_only_network_failures_are_retried_later(error: Any, expected: bool) -> None:
    assert transient(error) is expected


def flaky(site: Site, data: bytes) -> dict[str, bool]:
    """``/f`` answers 503 while ``state["down"]``."""
    state = {"down": True}

    async def handler(request: web.Request) -> web.StreamResponse:
        if state["down"]:
            return web.Response(status=503, text="maintenance")
        return await serve(request, data)

    site.route("/f", handler)
    return state


def planned(job_id: str) -> Any:
    return lambda e: e.job == job_id and e.type == EventType.JOB_UPDATED and e.data.get("retry_at")


async def harness_with(tmp_path: Path, clock: Clock, **config: Any) -> Harness:
    return await make_harness(tmp_path, clock=clock, retries=0, auto_retry_wait=WAIT, **config)


async def test_a_503_is_retried_when_its_time_comes(tmp_path: Path, site: Site) -> None:
    clock = Clock()
    data = payload(200_000)
    server = flaky(site, data)
    await site.start()
    harness = await harness_with(tmp_path, clock)
    try:
        job = await harness.engine.add(site.url("/f"))
        await harness.events.status(job["id"], "failed")
        event: Event = await harness.events.wait_for(planned(job["id"]))
        when = from_iso(event.data["retry_at"])
        assert when is not None and WAIT / 2 - 1 <= when - clock.now <= WAIT
        assert harness.engine.get(job["id"])["retry_at"] == event.data["retry_at"]
        listed = (await harness.engine.list())["jobs"][0]
        assert listed["retry_at"] == event.data["retry_at"]

        clock.now = when - 1
        assert await harness.engine.retry_later.fire() == []
        assert harness.engine.get(job["id"])["status"] == "failed"

        server["down"] = False
        clock.now = when
        assert await harness.engine.retry_later.fire() == [job["id"]]
        await harness.events.status(job["id"], "completed")
        final = harness.engine.get(job["id"])
        assert Path(final["path"]).read_bytes() == data
        assert "retry_at" not in final and final["auto_retries"] == 1
        assert "automatic retry 1 of 5" in harness.events.logs(job["id"])
    finally:
        await close_harness(harness)


async def test_waits_grow_and_stop_at_the_maximum(tmp_path: Path) -> None:
    clock = Clock()
    harness = await harness_with(tmp_path, clock, auto_retry_max=2)
    try:
        # Events before the add returns count: it answers once the job is in the history,
        # and a refused connection can fail the job's first try before that.
        seen = len(harness.events.events)
        job = await harness.engine.add(f"http://127.0.0.1:{closed_port()}/f")  # connection refused
        waits = []
        for attempt in (1, 2):
            event = await harness.events.wait_for(
                lambda e, seen=seen: planned(job["id"])(e) and e.seq > seen
            )  # type: ignore[misc]
            when = from_iso(event.data["retry_at"])
            assert when is not None
            waits.append(when - clock.now)
            clock.now = when
            seen = len(harness.events.events)
            assert await harness.engine.retry_later.fire() == [job["id"]]
            assert harness.engine.get(job["id"])["auto_retries"] == attempt
        await harness.events.wait_for(
            lambda e: (
                e.job == job["id"]
                and e.type == EventType.JOB_LOG
                and "no more automatic" in e.data["message"]
            )
        )
        assert WAIT / 2 - 1 <= waits[0] <= WAIT and WAIT - 1 <= waits[1] <= 2 * WAIT
        failed = harness.engine.get(job["id"])
        assert (
            failed["status"] == "failed"
            and "retry_at" not in failed
            and failed["error"]["code"] == "network"
        )
    finally:
        await close_harness(harness)


async def test_a_404_stays_failed(tmp_path: Path, site: Site) -> None:
    await site.start()
    harness = await harness_with(tmp_path, Clock())
    try:
        job = await harness.engine.add(site.url("/missing"))
        await harness.events.status(job["id"], "failed")
        await harness.engine.store.flush()  # any planning would have happened by now
        assert "retry_at" not in harness.engine.get(job["id"])
        assert harness.engine.retry_later.next_due() is None
    finally:
        await close_harness(harness)


async def test_the_time_survives_a_restart_and_fires_at_start_when_past(
    tmp_path: Path, site: Site
) -> None:
    clock = Clock()
    data = payload(100_000)
    server = flaky(site, data)
    await site.start()
    harness = await harness_with(tmp_path, clock)
    job = await harness.engine.add(site.url("/f"))
    event = await harness.events.wait_for(planned(job["id"]))
    await close_harness(harness)

    again = await harness_with(tmp_path, clock)
    try:
        stored = again.engine.get(job["id"])
        assert stored["status"] == "failed" and stored["retry_at"] == event.data["retry_at"]
        assert again.engine.retry_later.next_due() == from_iso(event.data["retry_at"])
    finally:
        await close_harness(again)

    server["down"] = False
    clock.now += 2 * WAIT  # the time passed while the daemon was down
    third = await harness_with(tmp_path, clock)
    try:
        await third.events.status(job["id"], "completed")
    finally:
        await close_harness(third)


async def test_switching_auto_retry_off_clears_the_waits(tmp_path: Path) -> None:
    harness = await harness_with(tmp_path, Clock())
    try:
        job = await harness.engine.add(f"http://127.0.0.1:{closed_port()}/f")
        await harness.events.wait_for(planned(job["id"]))
        harness.engine.apply_config(
            Config(**{**harness.engine.config.to_dict(), "auto_retry": False})
        )
        assert "retry_at" not in harness.engine.get(job["id"])
        assert harness.engine.retry_later.next_due() is None
    finally:
        await close_harness(harness)


async def test_a_job_the_queue_let_go_of_is_still_retried(tmp_path: Path, site: Site) -> None:
    """The queue keeps only the latest finished jobs in memory; a waiting one comes back
    from the history when its time comes."""
    clock = Clock()
    data = payload(50_000)
    server = flaky(site, data)
    await site.start()
    harness = await harness_with(tmp_path, clock)
    try:
        job = await harness.engine.add(site.url("/f"))
        event = await harness.events.wait_for(planned(job["id"]))
        await harness.store.flush()
        harness.engine.queue.drop(job["id"])  # what trimming the finished jobs does
        server["down"] = False
        clock.now = from_iso(event.data["retry_at"]) or 0.0
        assert await harness.engine.retry_later.fire() == [job["id"]]
        await harness.events.status(job["id"], "completed")
    finally:
        await close_harness(harness)
