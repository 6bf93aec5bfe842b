"""The job life: duplicates, checksums, pause/resume/cancel/retry/remove, priorities, limits."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from aiohttp import web

from idmd.protocol.errors import NoSuchJob, NotAllowed
from idmd.protocol.events import EventType
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import Site, payload, serve, sha256

DATA = payload(1024 * 1024 + 777)


async def gated_site(
    site: Site, path: str, data: bytes, gate: asyncio.Event, after: int = 256 * 1024
) -> None:
    """``path`` sends ``after`` bytes of each response, then waits for ``gate``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, data, stall_after=after, stall=gate)

    site.route(path, handler)


async def test_an_existing_file_gets_a_numbered_name(harness: Harness, site: Site) -> None:
    site.file("/dup.bin", DATA)
    await site.start()
    harness.downloads.mkdir(parents=True, exist_ok=True)
    (harness.downloads / "dup.bin").write_bytes(b"mine")
    job = await harness.download(site.url("/dup.bin"))
    assert job["filename"] == "dup (1).bin"
    assert (harness.downloads / "dup.bin").read_bytes() == b"mine"
    assert sha256((harness.downloads / "dup (1).bin").read_bytes()) == sha256(DATA)


async def test_overwrite_and_skip(harness: Harness, site: Site) -> None:
    site.file("/o.bin", DATA)
    site.file("/s.bin", DATA)
    await site.start()
    harness.downloads.mkdir(parents=True, exist_ok=True)
    (harness.downloads / "o.bin").write_bytes(b"old")
    (harness.downloads / "s.bin").write_bytes(b"keep")
    job = await harness.download(site.url("/o.bin"), on_duplicate="overwrite")
    assert job["status"] == "completed" and sha256(
        (harness.downloads / "o.bin").read_bytes()
    ) == sha256(DATA)
    job = await harness.download(site.url("/s.bin"), on_duplicate="skip")
    assert job["status"] == "completed"
    assert (harness.downloads / "s.bin").read_bytes() == b"keep"
    assert sorted(p.name for p in harness.downloads.iterdir()) == ["o.bin", "s.bin"]


async def test_ask_waits_for_a_decision(harness: Harness, site: Site) -> None:
    site.file("/ask.bin", DATA)
    await site.start()
    harness.downloads.mkdir(parents=True, exist_ok=True)
    (harness.downloads / "ask.bin").write_bytes(b"old")
    job = await harness.download(site.url("/ask.bin"), on_duplicate="ask")
    assert job["status"] == "waiting"
    [event] = harness.events.of(job["id"], EventType.JOB_DUPLICATE)
    assert event.data["filename"] == "ask.bin"
    with pytest.raises(NotAllowed):
        await harness.engine.retry([job["id"]])  # it is waiting for an answer, not failed
    await harness.engine.resolve_duplicate(job["id"], "overwrite")
    assert await harness.events.status(job["id"], "completed", "failed") == "completed"
    assert sha256((harness.downloads / "ask.bin").read_bytes()) == sha256(DATA)


async def test_two_jobs_for_the_same_name_never_share_a_part_file(
    harness: Harness, site: Site
) -> None:
    gate = asyncio.Event()
    await gated_site(site, "/same.bin", DATA, gate)
    await site.start()
    first = await harness.engine.add(site.url("/same.bin"), {})
    second = await harness.engine.add(site.url("/same.bin"), {})
    await harness.events.wait_for(
        lambda e: e.job == second["id"] and e.type == EventType.JOB_PROGRESS
    )
    gate.set()
    for job in (first, second):
        assert await harness.events.status(job["id"], "completed", "failed") == "completed"
    names = sorted(p.name for p in harness.downloads.iterdir())
    assert names == ["same (1).bin", "same.bin"]
    assert all(sha256((harness.downloads / n).read_bytes()) == sha256(DATA) for n in names)


async def test_checksums_are_verified(harness: Harness, site: Site) -> None:
    site.file("/good.bin", DATA)
    site.file("/bad.bin", DATA)
    await site.start()
    job = await harness.download(site.url("/good.bin"), checksum="sha256=" + sha256(DATA))
    assert job["status"] == "completed"
    job = await harness.download(site.url("/bad.bin"), checksum="sha256=" + "0" * 64)
    assert job["status"] == "failed" and job["error"]["code"] == "checksum"
    assert not (harness.downloads / "bad.bin").exists()
    assert not (harness.downloads / "bad.bin.part").exists()


async def test_pause_keeps_the_bytes_and_resume_finishes(harness: Harness, site: Site) -> None:
    gate = asyncio.Event()
    ranges: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ranges.append(request.headers.get("Range", ""))
        return await serve(
            request, DATA, stall_after=256 * 1024, stall=None if gate.is_set() else gate
        )

    site.route("/p.bin", handler)
    await site.start()
    job = await harness.engine.add(site.url("/p.bin"), {"connections": 1})
    await harness.events.wait_for(
        lambda e: e.job == job["id"] and e.type == EventType.JOB_PROGRESS and e.data["done"] > 0
    )
    [paused] = await harness.engine.pause([job["id"]])
    assert paused["status"] == "paused" and paused["done"] >= 256 * 1024
    assert (harness.downloads / "p.bin.part").exists() and not (
        harness.downloads / "p.bin"
    ).exists()
    gate.set()
    await harness.engine.resume([job["id"]])
    assert await harness.events.status(job["id"], "completed", "failed") == "completed"
    assert sha256((harness.downloads / "p.bin").read_bytes()) == sha256(DATA)
    assert ranges == ["bytes=0-", f"bytes={256 * 1024}-{len(DATA) - 1}"]  # went on, not from 0


async def test_cancel_removes_the_part_and_retry_starts_again(harness: Harness, site: Site) -> None:
    gate = asyncio.Event()
    await gated_site(site, "/c.bin", DATA, gate)
    await site.start()
    job = await harness.engine.add(site.url("/c.bin"), {"connections": 1})
    await harness.events.wait_for(lambda e: e.job == job["id"] and e.type == EventType.JOB_PROGRESS)
    [cancelled] = await harness.engine.cancel([job["id"]])
    assert cancelled["status"] == "cancelled" and cancelled["done"] == 0
    assert list(harness.downloads.iterdir()) == []
    with pytest.raises(NotAllowed):
        await harness.engine.resume([job["id"]])
    gate.set()
    await harness.engine.retry([job["id"]])
    assert await harness.events.status(job["id"], "completed", "failed") == "completed"
    assert sha256((harness.downloads / "c.bin").read_bytes()) == sha256(DATA)


async def test_remove_forgets_the_job_and_can_delete_the_file(harness: Harness, site: Site) -> None:
    site.file("/r.bin", DATA)
    await site.start()
    job = await harness.download(site.url("/r.bin"))
    await harness.engine.remove([job["id"]], delete_files=True)
    assert not (harness.downloads / "r.bin").exists()
    assert harness.events.of(job["id"], EventType.JOB_REMOVED)
    with pytest.raises(NoSuchJob):
        harness.engine.get(job["id"])
    with pytest.raises(NoSuchJob):
        await harness.engine.pause([job["id"]])
    assert (await harness.engine.list())["jobs"] == []


async def test_history_lists_finished_jobs_with_live_fields(harness: Harness, site: Site) -> None:
    site.file("/h.bin", DATA)
    await site.start()
    job = await harness.download(site.url("/h.bin"))
    listed = await harness.engine.list(status=["completed"])
    assert [j["id"] for j in listed["jobs"]] == [job["id"]]
    assert listed["jobs"][0]["done"] == len(DATA)
    assert (await harness.engine.fetch(job["id"]))["status"] == "completed"


async def test_max_active_and_priorities(tmp_path: Path, site: Site) -> None:
    gate = asyncio.Event()
    await gated_site(site, "/first.bin", DATA, gate)
    site.file("/low.bin", DATA)
    site.file("/high.bin", DATA)
    await site.start()
    h = await make_harness(tmp_path, max_active=1)
    try:
        first = await h.engine.add(site.url("/first.bin"), {})
        low = await h.engine.add(site.url("/low.bin"), {"priority": 0})
        high = await h.engine.add(site.url("/high.bin"), {"priority": 5})
        await h.events.wait_for(lambda e: e.job == first["id"] and e.type == EventType.JOB_PROGRESS)
        assert h.engine.get(low["id"])["status"] == "queued" and h.engine.stats()["active"] == 1
        gate.set()
        await h.events.status(low["id"], "completed")
        started = [
            e.job
            for e in h.events.events
            if e.type == EventType.JOB_STATUS and e.data["status"] == "downloading"
        ]
        assert started == [first["id"], high["id"], low["id"]]
    finally:
        await close_harness(h)


async def test_connections_per_host_are_capped(tmp_path: Path, site: Site) -> None:
    data = payload(3 * 1024 * 1024)
    live = [0]
    peak = [0]

    async def handler(request: web.Request) -> web.StreamResponse:
        live[0] += 1
        peak[0] = max(peak[0], live[0])
        try:
            return await serve(request, data)
        finally:
            live[0] -= 1

    site.route("/capped.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, max_connections_per_host=2)
    try:
        job = await h.download(site.url("/capped.bin"), connections=8)
        assert job["status"] == "completed"
        assert peak[0] <= 2
        assert sha256((h.downloads / "capped.bin").read_bytes()) == sha256(data)
    finally:
        await close_harness(h)


async def test_a_speed_limit_slows_the_job_down(harness: Harness, site: Site) -> None:
    site.file("/slow.bin", DATA)
    await site.start()
    began = time.monotonic()
    job = await harness.download(site.url("/slow.bin"), speed_limit=512 * 1024)
    assert job["status"] == "completed"
    # 1 MiB at 512 KiB/s with a 128 KiB burst cannot take less than about 1.7 s.
    assert time.monotonic() - began >= 1.5
    # Meanwhile progress came at most every 100 ms (the last one, at completion, aside).
    stamps = [e.at for e in harness.events.of(job["id"], EventType.JOB_PROGRESS)][:-1]
    assert len(stamps) >= 5
    assert min(b - a for a, b in itertools.pairwise(stamps)) >= 0.09


async def test_the_global_speed_limit_applies_at_once(harness: Harness, site: Site) -> None:
    from dataclasses import replace

    site.file("/global.bin", DATA)
    await site.start()
    harness.engine.apply_config(replace(harness.engine.config, speed_limit=512 * 1024))
    began = time.monotonic()
    job = await harness.download(site.url("/global.bin"))
    assert job["status"] == "completed"
    assert time.monotonic() - began >= 1.5
    assert [e for e in harness.events.events if e.type == EventType.STATS]  # 1 Hz stats went out


async def test_a_stopped_engine_resumes_from_its_checkpoint(tmp_path: Path, site: Site) -> None:
    gate = asyncio.Event()
    ranges: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ranges.append(request.headers.get("Range", ""))
        return await serve(
            request, DATA, stall_after=512 * 1024, stall=None if gate.is_set() else gate
        )

    site.route("/restart.bin", handler)
    await site.start()
    h = await make_harness(tmp_path)
    job = await h.engine.add(site.url("/restart.bin"), {"connections": 1})
    await h.events.wait_for(
        lambda e: (
            e.job == job["id"] and e.type == EventType.JOB_PROGRESS and e.data["done"] >= 512 * 1024
        )
    )
    await close_harness(h)  # graceful stop: checkpoint, part kept
    gate.set()
    h = await make_harness(tmp_path)
    try:
        assert await h.events.status(job["id"], "completed", "failed") == "completed"
        assert sha256((h.downloads / "restart.bin").read_bytes()) == sha256(DATA)
        assert ranges[-1] == f"bytes={512 * 1024}-{len(DATA) - 1}"
        assert any("resuming at 524288" in m for m in h.events.logs(job["id"]))
    finally:
        await close_harness(h)
