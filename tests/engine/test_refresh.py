"""A failed or paused download given a new link keeps its bytes (``jobs.update {patch: {url}}``).

Real servers on 127.0.0.1: the first link dies midway (403, as an expired signed
URL does); a second link serving the same bytes finishes the job and is asked
only for what is missing; a link to another file is refused and nothing is lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from idmd.protocol.errors import InvalidParams, NotAllowed
from tests.engine.conftest import Harness
from tests.engine.servers import Site, payload, requested_range, serve

SIZE = 3 * 1024 * 1024


def expiring(site: Site, path: str, data: bytes, alive_requests: int = 4) -> None:
    """``path`` serves the first requests partly (each connection is reset after 256 KiB),
    then answers 403 Forbidden: a link that expired mid-download."""
    seen = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal seen
        seen += 1
        if seen > alive_requests:
            return web.Response(status=403, text="expired")
        return await serve(request, data, cut_after=256 * 1024)

    site.route(path, handler)


def recording(site: Site, path: str, data: bytes) -> list[tuple[int, int]]:
    """``path`` serves ``data`` and records the byte range of each request (the whole file
    for a request without Range): what the client asked for, whatever the socket buffered."""
    asked: list[tuple[int, int]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        asked.append(requested_range(request, len(data)) or (0, len(data)))
        return await serve(request, data)

    site.route(path, handler)
    return asked


def overlap(ranges: list[tuple[int, int]], held: list[tuple[int, int]]) -> int:
    """Bytes of ``ranges`` that fall in ``held``."""
    return sum(
        max(0, min(end, h_end) - max(start, h_start))
        for start, end in ranges
        for h_start, h_end in held
    )


async def failed_midway(harness: Harness, site: Site, data: bytes) -> dict:
    expiring(site, "/old", data)
    await site.start()
    job = await harness.engine.add(site.url("/old"))
    await harness.events.status(job["id"], "failed")
    failed = await harness.engine.fetch(job["id"])
    assert failed["error"]["code"] == "http" and "403" in failed["error"]["message"]
    assert 0 < failed["done"] < SIZE
    return failed


async def test_a_new_link_to_the_same_file_fetches_only_the_rest(
    harness: Harness, site: Site
) -> None:
    data = payload(SIZE)
    asked = recording(site, "/new", data)
    failed = await failed_midway(harness, site, data)
    held = [(start, start + done) for start, _, done in failed["segments"] if done]
    assert sum(end - start for start, end in held) == failed["done"]

    updated = await harness.engine.update(failed["id"], {"url": site.url("/new")})
    assert updated["url"] == site.url("/new")
    await harness.events.status(failed["id"], "completed")

    final = harness.engine.get(failed["id"])
    assert Path(final["path"]).read_bytes() == data
    assert not Path(final["path"] + ".part").exists()
    # Only the missing bytes were asked for: the kept ones at most in the probe's first byte
    # and the 4 KiB each range reads past its end to compare with its neighbour.
    assert overlap(asked, held) <= 1 + 4096 * len(asked)
    assert sum(end - start for start, end in asked) < SIZE


@pytest.mark.parametrize(
    ("other", "differs"),
    [
        ({"data": payload(SIZE + 1000, seed=2)}, f"size {SIZE + 1000} ≠ {SIZE}"),
        ({"data": payload(SIZE, seed=2), "etag": '"v2"'}, 'ETag "v2" ≠ "v1"'),
        ({"data": payload(SIZE), "ranges": False}, "byte ranges"),
    ],
)
async def test_a_link_to_another_file_is_refused_and_nothing_is_lost(
    harness: Harness, site: Site, other: dict, differs: str
) -> None:
    data = payload(SIZE)
    site.file("/other", other.pop("data"), **other)
    failed = await failed_midway(harness, site, data)
    part = Path(failed["path"] + ".part")
    before = part.read_bytes()

    with pytest.raises(InvalidParams) as refused:
        await harness.engine.update(failed["id"], {"url": site.url("/other")})
    assert differs in refused.value.detail
    assert refused.value.data["param"] == "patch.url"

    job = harness.engine.get(failed["id"])
    assert job["status"] == "failed" and job["url"] == site.url("/old")
    assert job["done"] == failed["done"]
    assert part.read_bytes() == before
    stored = await harness.store.get_job(failed["id"])
    assert stored is not None and stored["url"] == site.url("/old")


async def test_a_paused_job_stays_paused_with_its_new_link(harness: Harness, site: Site) -> None:
    data = payload(SIZE)
    site.file("/new", data)
    await site.start()
    job = await harness.engine.add(site.url("/new"), {"start": "paused"})
    updated = await harness.engine.update(
        job["id"], {"url": site.url("/new") + "?fresh=1", "priority": 3}
    )
    assert updated["status"] == "paused"
    assert updated["url"].endswith("?fresh=1") and updated["options"]["priority"] == 3


async def test_running_and_finished_jobs_keep_their_link(harness: Harness, site: Site) -> None:
    data = payload(64 * 1024)
    site.file("/f", data)
    await site.start()
    done = await harness.download(site.url("/f"))
    with pytest.raises(NotAllowed, match="paused or failed"):
        await harness.engine.update(done["id"], {"url": site.url("/f")})


async def test_a_dead_new_link_is_refused_with_the_reason(harness: Harness, site: Site) -> None:
    data = payload(SIZE)
    failed = await failed_midway(harness, site, data)
    with pytest.raises(InvalidParams, match="cannot be fetched: HTTP 404"):
        await harness.engine.update(failed["id"], {"url": site.url("/missing")})
    assert harness.engine.get(failed["id"])["status"] == "failed"
