"""Bodies big enough to be read past aiohttp (``idmd.engine.http.direct``): the faults the
engine survives with small bodies give the same outcomes with big ones.

Each in-process test also checks that its bodies did take the direct path (a spy on
``stream_direct``), so a change that quietly stops taking connections over shows here.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from idmd.client import Client
from idmd.core.segments import Segment
from idmd.core.tokenbucket import TokenBucket
from idmd.engine.http import connections, direct
from idmd.engine.http.partfile import PartFile
from idmd.engine.limits import RateLimiter
from tests.certs import https_server, self_signed
from tests.daemon_process import DaemonProcess
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, requested_range, serve, sha256
from tests.proxies import HttpProxy, Socks5Proxy

MiB = 1024 * 1024
BIG = os.urandom(48 * MiB)  # ranges of 12 MiB and more, each over the take-over threshold
SLOW = {"stall_timeout": 120.0, "min_split": MiB}  # a stall that ends the job is the endgame's


def test_the_bodies_here_are_big_enough_to_be_taken_over() -> None:
    assert len(BIG) // 4 - MiB > direct.TAKEOVER_BYTES


@pytest.fixture
def direct_streams(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many bodies went through ``stream_direct`` (by their first byte's offset)."""
    taken: list[int] = []
    original = connections.stream_direct

    async def spy(*args: Any, **kwargs: Any) -> bool:
        taken.append(args[5])  # start
        return await original(*args, **kwargs)

    monkeypatch.setattr(connections, "stream_direct", spy)
    return taken


class QuietTransport:
    """A transport stand-in for the reader alone: the test hands it the bytes itself."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def close(self) -> None: ...


async def test_a_segments_last_bytes_are_written_as_soon_as_they_come(tmp_path: Path) -> None:
    """A split segment ends far before its response does: its last bytes (fewer than the
    quarter MiB the writer waits for) are written at once, not after the 0.5 s flush timer,
    or every split segment's end, and so the job's, waits that long."""
    part = PartFile.open(tmp_path / "f.part", 4 * MiB, fresh=True)
    reader = direct.BodyReader(QuietTransport(), None, 4 * MiB, b"")  # type: ignore[arg-type]
    segment = Segment(0, 100_000)
    written: list[int] = []
    limiter = RateLimiter(TokenBucket(0, time.monotonic()))
    task = asyncio.create_task(
        direct.stream_direct(reader, segment, part, limiter, written.append, 0, None, 60.0)
    )
    await asyncio.sleep(0)  # the writer waits now
    data = os.urandom(100_000)
    reader.get_buffer(-1)[: len(data)] = data
    reader.buffer_updated(len(data))
    for _ in range(10):  # a few turns of the loop, no time
        await asyncio.sleep(0)
    assert task.done() and sum(written) == len(data) and segment.finished
    assert os.pread(part.fd, len(data), 0) == data
    part.close()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def download(
    tmp_path: Path, site: Site, handler: Handler, timeout: float = 30.0, **config: Any
) -> tuple[dict[str, Any], list[str], Path]:
    site.route("/big.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, **config)
    try:
        job = await h.download(site.url("/big.bin"), timeout=timeout, connections=4)
        return job, h.events.logs(job["id"]), h.downloads / "big.bin"
    finally:
        await close_harness(h)


async def test_a_big_file_arrives_right(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, BIG)

    job, _, path = await download(tmp_path, site, handler)
    assert job["status"] == "completed", job["error"]
    assert sha256(path.read_bytes()) == sha256(BIG)
    assert len(direct_streams) >= 2  # the first response and at least one range


async def test_resets_mid_body_still_give_the_right_file(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    resets: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        start = (requested_range(request, len(BIG)) or (0, 0))[0]
        if len(resets) < 3:  # the first three responses break 9 MiB in
            resets.append(start)
            return await serve(request, BIG, cut_after=9 * MiB)
        return await serve(request, BIG)

    job, logs, path = await download(tmp_path, site, handler)
    assert job["status"] == "completed", job["error"]
    assert sha256(path.read_bytes()) == sha256(BIG)
    assert len(resets) == 3 and direct_streams
    assert any("connection reset by peer" in m or "closed the connection" in m for m in logs), logs


async def test_a_body_shorter_than_its_length_fails_saying_how_much_came(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, BIG, ranges=False, claim_length=len(BIG) + 5000)

    job, _, path = await download(tmp_path, site, handler, retries=0)
    assert job["status"] == "failed"
    message = job["error"]["message"]
    assert f"the server closed the connection after {len(BIG)} of {len(BIG) + 5000} bytes" in (
        message
    ), message
    assert not path.exists()
    assert direct_streams == [0]


async def test_a_stall_halfway_through_a_big_body_does_not_hold_the_job(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    stalled: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        if not stalled:  # the first response goes silent 10 MiB in, forever
            stalled.append(1)
            return await serve(request, BIG, stall_after=10 * MiB, stall=site.release)
        return await serve(request, BIG)

    began = time.monotonic()
    job, logs, path = await download(tmp_path, site, handler, **SLOW)
    assert job["status"] == "completed", job["error"]
    assert sha256(path.read_bytes()) == sha256(BIG)
    assert any("(endgame)" in m for m in logs), logs
    assert time.monotonic() - began < 30.0  # far below the 120 s stall timeout
    assert 0 in direct_streams


async def test_a_silent_connection_is_dropped_after_the_stall_timeout(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    stalls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        if not stalls:  # one connection only: no endgame, the stall timeout must act
            stalls.append(1)
            return await serve(request, BIG, stall_after=10 * MiB, stall=site.release)
        return await serve(request, BIG)

    site.route("/big.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, stall_timeout=1.0)
    try:
        job = await h.download(site.url("/big.bin"), connections=1)
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "big.bin").read_bytes()) == sha256(BIG)
        assert any("stall timeout" in m for m in h.events.logs(job["id"]))
        assert direct_streams[0] == 0 and len(direct_streams) >= 2  # and again after the stall
    finally:
        await close_harness(h)


async def test_a_big_206_with_wrong_bytes_is_never_completed_wrong(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    wrong = bytes(b ^ 0x5A for b in BIG)

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(BIG))
        return await serve(request, wrong if asked and asked[0] > 0 else BIG)

    job, logs, path = await download(tmp_path, site, handler, min_split=MiB)
    assert any("different bytes for the same range" in m for m in logs), logs
    if job["status"] == "completed":
        assert sha256(path.read_bytes()) == sha256(BIG)
    else:
        assert not path.exists()
    assert direct_streams


async def test_a_pause_keeps_what_came_and_the_resume_completes_it(
    tmp_path: Path, site: Site, direct_streams: list[int]
) -> None:
    gate = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        if not gate.is_set():  # 12 MiB, then silence until the test has paused the job
            return await serve(request, BIG, stall_after=12 * MiB, stall=gate)
        return await serve(request, BIG)

    site.route("/big.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, stall_timeout=120.0)
    try:
        job = await h.engine.add(site.url("/big.bin"), {"connections": 1})
        await h.events.wait_for(lambda e: e.job == job["id"] and e.data.get("done", 0) >= 12 * MiB)
        [paused] = await h.engine.pause([job["id"]])
        assert paused["status"] == "paused" and paused["done"] >= 12 * MiB
        gate.set()
        await h.engine.resume([job["id"]])
        await h.events.status(job["id"], "completed", "failed")
        final = h.engine.get(job["id"])
        assert final["status"] == "completed", final["error"]
        assert sha256((h.downloads / "big.bin").read_bytes()) == sha256(BIG)
        assert any("resuming at" in m for m in h.events.logs(job["id"]))
        assert direct_streams[0] == 0
    finally:
        gate.set()
        await close_harness(h)


@pytest.mark.parametrize("kind", ["http", "socks5"])
async def test_a_big_file_through_a_proxy_arrives_right(
    tmp_path: Path, site: Site, direct_streams: list[int], kind: str
) -> None:
    proxy = await (HttpProxy if kind == "http" else Socks5Proxy)("pat", "pw").start()
    try:
        site.file("/big.bin", BIG)
        await site.start()
        h = await make_harness(tmp_path)
        try:
            job = await h.download(site.url("/big.bin"), proxy=proxy.url, connections=4)
            assert job["status"] == "completed", job["error"]
            assert sha256((h.downloads / "big.bin").read_bytes()) == sha256(BIG)
            assert proxy.counts.bytes_down >= len(BIG)  # every byte came through the proxy
        finally:
            await close_harness(h)
    finally:
        await proxy.close()
    assert direct_streams


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path / "tls")


async def test_a_big_file_over_https_arrives_right(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    """TLS reads into the buffer too (a real daemon that trusts the test's certificate)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, BIG)

    runner, port = await https_server("/big.bin", handler, certificate)
    home = tmp_path / "home"
    home.mkdir()
    daemon = DaemonProcess(home, env={"SSL_CERT_FILE": str(certificate[0])}).start()
    try:
        async with await Client.connect(daemon.url, daemon.token) as client:
            events = client.subscribe(types=["job.status"])
            await anext(events)
            job = await client.call(
                "jobs.add",
                {"url": f"https://127.0.0.1:{port}/big.bin", "options": {"connections": 4}},
            )
            async with asyncio.timeout(60):
                async for event in events:
                    if event["job"] == job["id"] and event["data"]["status"] in (
                        "completed",
                        "failed",
                    ):
                        assert event["data"]["status"] == "completed", event["data"]
                        break
        assert sha256((daemon.download_dir / "big.bin").read_bytes()) == sha256(BIG)
    finally:
        daemon.stop()
        await runner.cleanup()
