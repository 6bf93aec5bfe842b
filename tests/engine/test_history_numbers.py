"""What the history says about a job after the engine restarts: a completed job is
100% with every segment complete, and a cancelled job shows no bytes once its part
file is gone."""

from __future__ import annotations

from pathlib import Path

from idmd.protocol.events import EventType
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import Site, payload

SIZE = 3 * 1024 * 1024


async def test_a_completed_job_is_whole_after_a_restart(tmp_path: Path, site: Site) -> None:
    site.file("/whole.bin", payload(SIZE))
    await site.start()
    harness = await make_harness(tmp_path, connections=8)
    job = await harness.download(site.url("/whole.bin"))
    assert job["status"] == "completed" and len(job["segments"]) > 1
    await close_harness(harness)

    again = await make_harness(tmp_path)
    try:
        stored = await again.engine.fetch(job["id"])
        assert stored["status"] == "completed"
        assert stored["done"] == SIZE
        assert stored["segments"], "the segment rows are kept"
        assert all(done == end - start for start, end, done in stored["segments"])
    finally:
        await close_harness(again)


async def test_a_cancelled_job_tells_clients_its_bytes_are_gone(
    harness: Harness, site: Site
) -> None:
    site.file("/stuck.bin", payload(SIZE), stall_after=256 * 1024, stall=site.release)
    await site.start()
    job = await harness.engine.add(site.url("/stuck.bin"), {"connections": 1})
    await harness.events.wait_for(
        lambda e: e.job == job["id"] and e.type == EventType.JOB_PROGRESS and e.data["done"] > 0
    )

    await harness.engine.cancel([job["id"]])

    update = await harness.events.wait_for(
        lambda e: e.job == job["id"] and e.type == EventType.JOB_UPDATED and "done" in e.data,
        timeout=5,
    )
    assert update.data["done"] == 0
    assert harness.engine.get(job["id"])["done"] == 0


async def test_urls_added_together_list_in_the_order_they_were_added(
    harness: Harness, site: Site
) -> None:
    await site.start()
    urls = [site.url(f"/missing{n}.bin") for n in range(6)]

    added = await harness.engine.add_many(
        [{"url": u, "options": {"start": "paused"}} for u in urls]
    )

    listed = await harness.engine.list(order="created_at")
    assert [j["url"] for j in listed["jobs"]] == urls
    assert [j["id"] for j in listed["jobs"]] == [j["id"] for j in added]
