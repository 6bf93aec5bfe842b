"""Plain downloads: many connections, the right bytes, the right events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from idmd.protocol.events import EventType
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import CHUNK, Site, payload, sha256


async def test_a_file_arrives_complete_over_several_connections(
    harness: Harness, site: Site
) -> None:
    data = payload(3 * 1024 * 1024)
    site.file("/data.bin", data)
    await site.start()
    job = await harness.download(site.url("/data.bin"), connections=4)
    assert job["status"] == "completed", job["error"]
    path = harness.downloads / "data.bin"
    assert job["path"] == str(path.resolve())
    assert sha256(path.read_bytes()) == sha256(data)
    assert not (harness.downloads / "data.bin.part").exists()
    assert site.hits["/data.bin"] >= 4  # it really used several connections
    statuses = [e.data["status"] for e in harness.events.of(job["id"], EventType.JOB_STATUS)]
    assert statuses == ["downloading", "completed"]
    assert harness.events.of(job["id"], EventType.JOB_PROGRESS)[-1].data["done"] == len(data)
    stats = harness.engine.stats()
    assert stats["totals"]["completed"] == 1 and stats["totals"]["downloaded"] == len(data)
    assert stats["active"] == 0


async def test_a_fast_connection_takes_over_the_far_half_of_a_slow_one(
    harness: Harness, site: Site
) -> None:
    from aiohttp import web

    from tests.engine.servers import requested_range, serve

    data = payload(2 * 1024 * 1024)
    slow_sent = [0]

    def count_slow(n: int) -> None:
        slow_sent[0] += n

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(data))
        if asked is not None and asked[0] == 0:  # the first connection crawls
            return await serve(request, data, pace=0.2, count=count_slow)
        return await serve(request, data)

    site.route("/uneven.bin", handler)
    await site.start()
    job = await harness.download(site.url("/uneven.bin"), connections=2)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "uneven.bin").read_bytes()) == sha256(data)
    # The slow connection's first megabyte was mostly taken over by the fast one.
    assert slow_sent[0] < 512 * 1024
    assert site.hits["/uneven.bin"] >= 4


async def test_a_slow_connection_shows_progress_before_a_full_buffer(
    tmp_path: Path, site: Site
) -> None:
    harness = await make_harness(tmp_path, stall_timeout=120.0)  # no stall recovery to flush for us
    try:
        data = payload(2 * 1024 * 1024)
        site.file("/slow.bin", data, stall_after=CHUNK, stall=site.release)
        await site.start()
        job = await harness.engine.add(site.url("/slow.bin"), {"connections": 1})
        # Only one chunk has arrived (far less than a write buffer), and the user already sees it.
        event = await harness.events.wait_for(
            lambda e: (
                e.job == job["id"] and e.type == EventType.JOB_PROGRESS and e.data["done"] >= CHUNK
            )
        )
        assert event.data["done"] == CHUNK
        site.release.set()
        assert await harness.events.status(job["id"], "completed", "failed") == "completed"
        assert sha256((harness.downloads / "slow.bin").read_bytes()) == sha256(data)
    finally:
        await close_harness(harness)


async def test_a_small_file_costs_few_events_each_status_carrying_its_times(
    harness: Harness, site: Site
) -> None:
    """A client learns when a job started and ended from its job.status events: the times are
    not a job.updated of their own (two events fewer per file, with hundreds of files)."""
    site.file("/small.bin", payload(64 * 1024))
    await site.start()
    job = await harness.download(site.url("/small.bin"))
    assert job["status"] == "completed", job["error"]
    started, ended = harness.events.of(job["id"], EventType.JOB_STATUS)
    assert started.data["started_at"] == job["started_at"]
    assert ended.data["finished_at"] == job["finished_at"]
    updates = [e.data for e in harness.events.of(job["id"], EventType.JOB_UPDATED)]
    assert not [u for u in updates if "started_at" in u or "finished_at" in u], updates


async def test_more_small_files_from_one_host_than_it_has_connection_slots_all_arrive(
    tmp_path: Path, site: Site
) -> None:
    """A small file is one stream from its first response: its host slot must come back when
    it ends, or the host's next files wait for ever."""
    harness = await make_harness(tmp_path, max_connections_per_host=2, max_active=2)
    try:
        files = {f"/small{n}.bin": payload(100 * 1024, seed=n) for n in range(6)}
        for path, data in files.items():
            site.file(path, data)
        await site.start()
        jobs = [await harness.engine.add(site.url(path), {}) for path in files]
        for job in jobs:
            assert await harness.events.status(job["id"], "completed", "failed") == "completed"
        for path, data in files.items():
            assert sha256((harness.downloads / path.lstrip("/")).read_bytes()) == sha256(data)
    finally:
        await close_harness(harness)


async def test_a_small_file_cut_off_midway_is_finished_from_where_it_stopped(
    tmp_path: Path, site: Site
) -> None:
    from aiohttp import web

    from tests.engine.servers import requested_range, serve

    # min_split as by default: a file under 512 KiB is never split, so it is one stream.
    harness = await make_harness(tmp_path, max_connections_per_host=1, min_split=1024 * 1024)
    try:
        data = payload(300 * 1024, seed=7)
        asked: list[tuple[int, int] | None] = []

        async def handler(request: web.Request) -> web.StreamResponse:
            asked.append(requested_range(request, len(data)))
            cut = 100 * 1024 if len(asked) == 1 else None  # the first response resets
            return await serve(request, data, cut_after=cut)

        site.route("/cut.bin", handler)
        site.file("/next.bin", payload(50 * 1024, seed=8))
        await site.start()
        job = await harness.download(site.url("/cut.bin"))
        assert job["status"] == "completed", job["error"]
        assert sha256((harness.downloads / "cut.bin").read_bytes()) == sha256(data)
        assert len(asked) == 2 and asked[1] is not None and asked[1][0] >= 100 * 1024
        assert any("trying again" in line for line in harness.events.logs(job["id"]))
        # The one connection the host allows was given back: its next file arrives too.
        assert (await harness.download(site.url("/next.bin")))["status"] == "completed"
    finally:
        await close_harness(harness)


async def test_a_small_file_that_comes_slowly_is_checkpointed_while_it_comes(
    tmp_path: Path, site: Site
) -> None:
    """A crash while a small file crawls in loses at most a second of it, as for a big one."""
    harness = await make_harness(tmp_path, stall_timeout=120.0, min_split=1024 * 1024)
    try:
        data = payload(300 * 1024, seed=9)  # never split (see above): one stream
        site.file("/crawl.bin", data, stall_after=CHUNK, stall=site.release)
        await site.start()
        job = await harness.engine.add(site.url("/crawl.bin"), {})
        async with asyncio.timeout(10):
            while True:
                stored = await harness.store.get_job(job["id"])
                if stored is not None and stored["done"] >= CHUNK:
                    break
                await asyncio.sleep(0.1)
        assert stored["segments"] == [[0, len(data), CHUNK]]
        site.release.set()
        assert await harness.events.status(job["id"], "completed", "failed") == "completed"
    finally:
        await close_harness(harness)
