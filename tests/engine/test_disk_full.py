"""A full disk fails the job that needs the space, with a clear message; the others go on.

Needs root to mount a 2 MiB tmpfs (CI runs as root; skipped otherwise).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, sha256

BIG = payload(3 * 1024 * 1024)
SMALL = payload(200 * 1024, seed=3)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_no_space_fails_the_big_job_and_the_small_one_completes(
    tmp_path: Path, site: Site, small_disk: Path
) -> None:
    async def unknown_size(request: web.Request) -> web.StreamResponse:
        # No Content-Length and no ranges: the free-space check cannot help, the write fails.
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(0, len(BIG), 64 * 1024):
            await response.write(BIG[i : i + 64 * 1024])
        await response.write_eof()
        return response

    site.file("/big.bin", BIG)
    site.file("/small.bin", SMALL)
    site.route("/stream.bin", unknown_size)
    await site.start()
    h = await make_harness(tmp_path, retries=1)
    try:
        big = await h.engine.add(site.url("/big.bin"), {"dir": str(small_disk)})
        streamed = await h.engine.add(site.url("/stream.bin"), {"dir": str(small_disk)})
        elsewhere = await h.engine.add(
            site.url("/big.bin"), {}
        )  # on a disk with room, at the same time
        assert await h.events.status(big["id"], "completed", "failed") == "failed"
        assert await h.events.status(streamed["id"], "completed", "failed") == "failed"
        assert await h.events.status(elsewhere["id"], "completed", "failed") == "completed"
        assert sha256((h.downloads / "big.bin").read_bytes()) == sha256(BIG)
        # The failed stream's bytes were given back, so a job that fits still does.
        small = await h.engine.add(site.url("/small.bin"), {"dir": str(small_disk)})
        assert await h.events.status(small["id"], "completed", "failed") == "completed"
        for job in (big, streamed):
            error = h.engine.get(job["id"])["error"]
            assert error["code"] == "no_space" and "no space left on device" in error["message"]
        assert sha256((small_disk / "small.bin").read_bytes()) == sha256(SMALL)
        assert not (small_disk / "big.bin").exists() and not (small_disk / "stream.bin").exists()
    finally:
        await close_harness(h)
