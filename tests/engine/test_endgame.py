"""The end of a download: a stalled or crawling connection never holds the job;
a lying 206 is caught.

Each server misbehaves on one connection only; the job must finish at the pace
of the others (long before the stall timeout, which is set far away here) and
with the right bytes.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import web

from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, requested_range, serve, sha256

DATA = payload(8 * 1024 * 1024)
# The stall timeout is far away: finishing means the endgame, not the timeout, saved the job.
SLOW = {"stall_timeout": 120.0, "min_split": 1024 * 1024}


async def test_a_first_response_that_stalls_does_not_hold_the_job(
    tmp_path: Path, site: Site
) -> None:
    stalled: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        if not stalled:
            stalled.append(1)  # the first response goes silent after 256 KiB, forever
            return await serve(request, DATA, stall_after=256 * 1024, stall=site.release)
        return await serve(request, DATA)

    site.route("/stall.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, **SLOW)
    try:
        began = time.monotonic()
        job = await h.download(site.url("/stall.bin"), timeout=20.0, connections=4)
        elapsed = time.monotonic() - began
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "stall.bin").read_bytes()) == sha256(DATA)
        assert not any("stall timeout" in m for m in h.events.logs(job["id"]))
        assert any("(endgame)" in m for m in h.events.logs(job["id"]))
        assert elapsed < 20.0  # far below the 120 s stall timeout
    finally:
        await close_harness(h)


async def test_a_later_range_that_stalls_halfway_does_not_hold_the_job(
    tmp_path: Path, site: Site
) -> None:
    ranged: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        if asked and asked[0] > 0 and not ranged:
            ranged.append(asked[0])  # the first ranged request after the probe: silent halfway
            half = (asked[1] - asked[0]) // 2
            return await serve(request, DATA, stall_after=half, stall=site.release)
        return await serve(request, DATA)

    site.route("/half.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, **SLOW)
    try:
        job = await h.download(site.url("/half.bin"), timeout=20.0, connections=8)
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "half.bin").read_bytes()) == sha256(DATA)
        assert ranged
    finally:
        await close_harness(h)


async def test_a_range_whose_headers_never_come_does_not_hold_the_job(
    tmp_path: Path, site: Site
) -> None:
    silent: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        if asked and asked[0] > 0 and not silent:
            silent.append(asked[0])  # accepted, then not a byte: not even the status line
            await site.release.wait()
        return await serve(request, DATA)

    site.route("/mute.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, **SLOW)
    try:
        job = await h.download(site.url("/mute.bin"), timeout=20.0, connections=4)
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "mute.bin").read_bytes()) == sha256(DATA)
        assert silent
    finally:
        await close_harness(h)


async def test_a_crawling_connection_is_overtaken(tmp_path: Path, site: Site) -> None:
    crawl = {"sent": 0, "asked": 0, "finished": False}

    async def crawler(request: web.Request, start: int, end: int) -> web.StreamResponse:
        """About 40 KiB/s: never silent long enough for any timeout, just slow."""
        response = web.StreamResponse(status=206)
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(DATA)}"
        response.headers["ETag"] = '"v1"'
        response.content_length = end - start
        await response.prepare(request)
        crawl["asked"] = end - start
        for offset in range(start, end, 4096):
            await response.write(DATA[offset : min(offset + 4096, end)])
            crawl["sent"] += min(4096, end - offset)
            await asyncio.sleep(0.1)
        crawl["finished"] = True
        await response.write_eof()
        return response

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        if asked and asked[0] > 0 and not crawl["asked"]:
            return await crawler(request, *asked)
        return await serve(request, DATA)

    site.route("/crawl.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, **SLOW)
    try:
        job = await h.download(site.url("/crawl.bin"), timeout=20.0, connections=4)
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "crawl.bin").read_bytes()) == sha256(DATA)
        # The job did not wait for the crawler: it had sent only part of its range.
        assert not crawl["finished"]
        assert crawl["sent"] < crawl["asked"]
    finally:
        await close_harness(h)


async def test_a_206_with_the_right_content_range_and_wrong_bytes_is_never_completed_wrong(
    tmp_path: Path, site: Site
) -> None:
    wrong = bytes(b ^ 0x5A for b in DATA)  # what the server sends for later ranges

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        if asked and asked[0] > 0:
            return await serve(request, wrong)  # right headers, wrong bytes
        return await serve(request, DATA)

    site.route("/liar.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, min_split=1024 * 1024)
    try:
        job = await h.download(site.url("/liar.bin"), connections=4)
        logs = h.events.logs(job["id"])
        assert any("different bytes for the same range" in m for m in logs), logs
        if job["status"] == "completed":
            assert sha256((h.downloads / "liar.bin").read_bytes()) == sha256(DATA)
        else:
            assert not (h.downloads / "liar.bin").exists()
    finally:
        await close_harness(h)


async def test_an_honest_server_passes_every_boundary_check(tmp_path: Path, site: Site) -> None:
    site.file("/honest.bin", DATA)
    await site.start()
    h = await make_harness(tmp_path, min_split=256 * 1024)
    try:
        job = await h.download(site.url("/honest.bin"), connections=8)
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "honest.bin").read_bytes()) == sha256(DATA)
        assert not any("different bytes" in m for m in h.events.logs(job["id"]))
    finally:
        await close_harness(h)
