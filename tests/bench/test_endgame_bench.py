"""The endgame (issue 12): an 8 MiB file whose first response stalls forever,
and one whose connection crawls.

The server is an aiohttp server on 127.0.0.1 that misbehaves on purpose (the
engine tests' ``tests/engine/servers.py``); the engine runs in-process with
the default stall timeout (30 s) and 8 connections. Each case is compared with
the same file from a well-behaved server in the same run. Target: the stalled
file in at most 3 s. Figures are printed, not asserted; every file is checked.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

from aiohttp import web

from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, requested_range, serve, sha256

ROUNDS = int(os.environ.get("IDM_BENCH_ROUNDS", "3"))
DATA = payload(8 * 1024 * 1024)
DEFAULTS = {"stall_timeout": 30.0, "min_split": 1024 * 1024, "connections": 8}


def misbehaving(site: Site, case: str) -> None:
    """``/f``: case ``ok`` serves the file; ``stall`` silences the first response after 256 KiB for
    good; ``crawl`` sends the first ranged response after the probe at about 64 KiB/s."""
    seen: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        first = not seen
        if case == "stall" and first:
            seen.append(0)
            return await serve(request, DATA, stall_after=256 * 1024, stall=site.release)
        if case == "crawl" and asked and asked[0] > 0 and not seen:
            seen.append(asked[0])
            return await _crawl(request, *asked)
        return await serve(request, DATA)

    site.route("/f", handler)


async def _crawl(request: web.Request, start: int, end: int) -> web.StreamResponse:
    response = web.StreamResponse(status=206)
    response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(DATA)}"
    response.headers["ETag"] = '"v1"'
    response.content_length = end - start
    await response.prepare(request)
    for offset in range(start, end, 8192):
        await response.write(DATA[offset : min(offset + 8192, end)])
        await asyncio.sleep(0.125)
    await response.write_eof()
    return response


async def _once(tmp_path: Path, case: str, index: int) -> float:
    site = Site()
    misbehaving(site, case)
    await site.start()
    h = await make_harness(tmp_path / f"{case}{index}", **DEFAULTS)
    try:
        began = time.perf_counter()
        job = await h.download(site.url("/f"), timeout=120.0)
        elapsed = time.perf_counter() - began
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "f").read_bytes()) == sha256(DATA)
        return elapsed
    finally:
        await close_harness(h)
        await site.close()


async def test_stalled_and_crawling_connections(tmp_path: Path) -> None:
    times: dict[str, list[float]] = {"ok": [], "stall": [], "crawl": []}
    for index in range(ROUNDS):
        for case, runs in times.items():
            runs.append(await _once(tmp_path, case, index))
    ok = statistics.median(times["ok"])
    load = os.getloadavg()[0]
    print(
        f"\nendgame, 8 MiB, 8 connections, stall timeout 30 s (median of {ROUNDS}, load {load:.1f})"
    )
    for case, runs in times.items():
        median = statistics.median(runs)
        each = ", ".join(f"{r:.2f}" for r in runs)
        ratio = median / ok
        print(f"{case:6} {median:6.2f} s  ({ratio:5.1f}x the well-behaved server; runs {each})")
    print(f"target: stalled file <= 3 s: {statistics.median(times['stall']):.2f} s")
