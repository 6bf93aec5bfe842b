"""How many connections a download opens: as many as pay, up to the job's option.

Loopback servers pace their bytes: one shares a single budget among all its
connections (a line that is full with two), one paces each connection alone
(more connections, more speed), and one does both (a line full with six).
The job's option allows 16 or 32; what is asserted is how many the server
saw at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

from aiohttp import web

from tests.engine.conftest import Harness
from tests.engine.servers import Site, serve, sha256

MiB = 1024 * 1024
CHUNK = 64 * 1024


@dataclass
class Watched:
    """Counts the responses being sent at once, and the most ever."""

    now: int = 0
    most: int = 0
    next_free: float = 0.0  # the shared budget: when the next chunk may leave

    async def shared_pace(self, rate: float) -> None:
        """Wait for this chunk's turn in a budget of ``rate`` bytes per second for all."""
        now = time.monotonic()
        turn = max(self.next_free, now)
        self.next_free = turn + CHUNK / rate
        if turn > now:
            await asyncio.sleep(turn - now)


def watched_file(site: Site, path: str, data: bytes, watched: Watched, **kwargs: object) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        watched.now += 1
        watched.most = max(watched.most, watched.now)
        try:
            return await serve(request, data, **kwargs)  # type: ignore[arg-type]
        finally:
            watched.now -= 1

    site.route(path, handler)


async def test_a_link_full_with_few_connections_gets_no_more(harness: Harness, site: Site) -> None:
    data = os.urandom(24 * MiB)
    watched = Watched()
    budget = 8 * MiB  # bytes per second for all connections together

    watched_file(site, "/shared.bin", data, watched, pace_with=lambda: watched.shared_pace(budget))
    await site.start()
    job = await harness.download(site.url("/shared.bin"), connections=16, timeout=60)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "shared.bin").read_bytes()) == sha256(data)
    assert 2 <= watched.most <= 4  # it tried more once, saw no gain, and went back
    logs = harness.events.logs(job["id"])
    assert any("were not faster" in m for m in logs), logs


async def test_a_link_paced_per_connection_gets_every_connection_allowed(
    harness: Harness, site: Site
) -> None:
    data = os.urandom(64 * MiB)
    watched = Watched()
    # 64 KiB every 1/32 s: 2 MiB/s for each connection, whatever the others do.
    watched_file(site, "/each.bin", data, watched, pace=1 / 32)
    await site.start()
    job = await harness.download(site.url("/each.bin"), connections=16, timeout=60)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "each.bin").read_bytes()) == sha256(data)
    assert watched.most == 16


async def test_a_link_full_with_a_few_paced_connections_stops_near_its_knee(
    harness: Harness, site: Site
) -> None:
    data = os.urandom(40 * MiB)
    watched = Watched()
    # 2 MiB/s for each connection, 12 MiB/s for all: 6 connections fill the link. The climb
    # grows in proportion up to 4, then steps x4 to 16 (only +50%); the doubling it skipped
    # (8) is as fast, so no count above 16 is ever tried although 32 are allowed.
    watched_file(
        site,
        "/knee.bin",
        data,
        watched,
        pace=1 / 32,
        pace_with=lambda: watched.shared_pace(12 * MiB),
    )
    await site.start()
    job = await harness.download(site.url("/knee.bin"), connections=32, timeout=60)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "knee.bin").read_bytes()) == sha256(data)
    assert 8 <= watched.most <= 16
