"""A short clip resolved to a direct URL gets its connections, like a plain file of its size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.media.conftest import Jobs
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media
MiB = 1024 * 1024


async def test_a_short_clip_uses_every_connection(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    clip = os.urandom(int(3.6 * MiB))  # yt-dlp does not look inside a direct file
    (media_root / "clip.mp4").write_bytes(clip)
    # Each connection capped (as video hosts do), so more connections pay and the engine
    # adds them (idmd.core.ramp); on an uncapped loopback link two would do.
    (media_root / "clip.html").write_text('<title>Clip</title><video src="/slow/clip.mp4"></video>')
    server.rate = 512 * 1024
    try:
        done = await jobs.download(server.url("clip.html"), mode="media", connections=8)
    finally:
        server.rate = 0
    assert done["status"] == "completed", done["error"]
    assert Path(done["path"]).read_bytes() == clip
    # Segments, not the few KiB the engine reads again at segment boundaries to check them.
    segments = [r for r in server.ranges("/slow/clip.mp4") if _length(r) > 64 * 1024]
    # 2 with a 1 MiB floor; how many more depends on when the ramp adds them.
    assert len(segments) >= 4


def _length(header: str) -> int:
    start, _, end = header.removeprefix("bytes=").partition("-")
    return int(end) - int(start) + 1 if end else 1 << 62
