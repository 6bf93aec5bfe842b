"""Benchmark: a single-file media format from a server that caps each connection.

An idmd media job (yt-dlp resolves, idmd's segmented engine fetches with 8
connections) against plain ``yt-dlp`` on the same page URL. Target: >= 4x.
Run with ``make bench`` (or pytest -s tests/bench/test_media_bench.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from idmd.config import Config
from idmd.engine import Engine
from idmd.events import EventBus
from idmd.protocol.events import EventType
from idmd.store import Store
from tests.media.media_server import MediaServer

SIZE = 16 * 1024 * 1024
RATE = 512 * 1024  # bytes per second per connection
CONNECTIONS = 8


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> MediaServer:
    root = tmp_path_factory.mktemp("bench-media")
    (root / "large.mp4").write_bytes(os.urandom(SIZE))  # yt-dlp does not look inside a direct file
    (root / "large.html").write_text(
        '<html><head><title>Large video</title></head><body><video src="/slow/large.mp4"></video></body></html>'
    )
    server = MediaServer(root, rate=RATE).start()
    yield server
    server.stop()


def plain_yt_dlp(url: str, folder: Path) -> float:
    start = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "yt_dlp",
            "--quiet",
            "--no-warnings",
            "--no-progress",
            "-o",
            str(folder / "%(title)s.%(ext)s"),
            url,
        ],
        check=True,
        timeout=600,
    )
    return time.monotonic() - start


async def idmd_job(url: str, tmp: Path) -> tuple[float, Path]:
    store = await Store.open(tmp / "idm.db")
    bus = EventBus()
    finished = asyncio.Event()
    bus.listen(
        lambda e: (
            e.type == EventType.JOB_STATUS
            and e.data["status"] in ("completed", "failed")
            and finished.set()
        )
    )
    engine = Engine(Config(connections=CONNECTIONS), tmp / "downloads", store, bus)
    await engine.start()
    try:
        start = time.monotonic()
        job = await engine.add(url, {})
        await asyncio.wait_for(finished.wait(), 600)
        elapsed = time.monotonic() - start
        done = engine.get(job["id"])
    finally:
        await engine.stop()
        await store.close()
    assert done["status"] == "completed", done["error"]
    assert done["kind"] == "media"
    return elapsed, Path(done["path"])


async def test_a_media_job_is_at_least_4x_plain_yt_dlp(capped: MediaServer, tmp_path: Path) -> None:
    url = capped.url("large.html")
    yt_dir = tmp_path / "yt-dlp"
    yt_dir.mkdir()
    yt_seconds = await asyncio.to_thread(plain_yt_dlp, url, yt_dir)
    idm_seconds, path = await idmd_job(url, tmp_path)
    expected = (capped.root / "large.mp4").read_bytes()
    assert path.read_bytes() == expected
    assert [p.read_bytes() == expected for p in yt_dir.iterdir()] == [True]
    mib = SIZE / 2**20
    speedup = yt_seconds / idm_seconds
    print(
        f"\nmedia bench: {mib:.0f} MiB, server cap {RATE // 1024} KiB/s per connection\n"
        f"  plain yt-dlp:            {yt_seconds:6.1f} s  {mib / yt_seconds:5.2f} MiB/s\n"
        f"  idmd media job ({CONNECTIONS} conn): {idm_seconds:6.1f} s  {mib / idm_seconds:5.2f} MiB/s\n"
        f"  speed-up: {speedup:.1f}x (target 4x)"
    )
    shutil.rmtree(yt_dir)
    assert speedup >= 4.0
