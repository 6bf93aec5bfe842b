"""Servers that fail or lie: each ends in a correct file or a clear error, never a wrong file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, closed_port, payload, requested_range, serve, sha256

DATA = payload(2 * 1024 * 1024 + 12345)


async def test_unreachable_host_fails_clearly(tmp_path: Path) -> None:
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download(f"http://127.0.0.1:{closed_port()}/file.bin")
        assert job["status"] == "failed"
        assert "cannot connect to 127.0.0.1" in job["error"]["message"]
        assert job["error"]["message"].endswith("connection refused")
        assert job["error"]["code"] == "network"
    finally:
        await close_harness(h)


async def test_dns_failure_fails_clearly(tmp_path: Path) -> None:
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download("http://no-such-host.invalid/file.bin")
        assert job["status"] == "failed"
        assert "cannot resolve host no-such-host.invalid" in job["error"]["message"]
    finally:
        await close_harness(h)


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (404, "HTTP 404 Not Found"),
        (403, "HTTP 403 Forbidden"),
        (500, "HTTP 500 Internal Server Error"),
    ],
)
async def test_http_errors_fail_with_the_status(
    tmp_path: Path, site: Site, status: int, text: str
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status)

    site.route("/f", handler)
    await site.start()
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download(site.url("/f"))
        assert job["status"] == "failed"
        assert job["error"] == {"code": "http", "message": text}
        assert site.hits["/f"] == (
            2 if status == 500 else 1
        )  # only a server error is worth a retry
        assert list(h.downloads.iterdir()) == []
    finally:
        await close_harness(h)


@pytest.mark.parametrize("status", [503, 429])
async def test_retry_after_is_honoured(harness, site: Site, status: int) -> None:
    times: list[float] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        times.append(time.monotonic())
        if len(times) == 1:
            return web.Response(status=status, headers={"Retry-After": "1"})
        return await serve(request, DATA)

    site.route("/busy.bin", handler)
    await site.start()
    job = await harness.download(site.url("/busy.bin"))
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "busy.bin").read_bytes()) == sha256(DATA)
    assert times[1] - times[0] >= 0.95  # it waited as long as the server asked
    assert any(
        f"HTTP {status}" in m and "retry 1 in 1.0 s" in m for m in harness.events.logs(job["id"])
    )


async def test_connection_reset_mid_segment_still_gives_the_right_file(harness, site: Site) -> None:
    resets: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        start = asked[0] if asked else 0
        if start > 0 and len(resets) < 3:  # the first three later segments break mid-body
            resets.append(start)
            return await serve(request, DATA, cut_after=100_000)
        return await serve(request, DATA)

    site.route("/reset.bin", handler)
    await site.start()
    job = await harness.download(site.url("/reset.bin"), connections=4)
    assert job["status"] == "completed", job["error"]
    assert len(resets) == 3
    assert sha256((harness.downloads / "reset.bin").read_bytes()) == sha256(DATA)


async def test_a_stalled_connection_is_replaced(tmp_path: Path, site: Site) -> None:
    stalls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        if not stalls:
            stalls.append(1)
            return await serve(request, DATA, stall_after=128 * 1024, stall=site.release)
        return await serve(request, DATA)

    site.route("/stall.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, stall_timeout=1.0)
    try:
        job = await h.download(site.url("/stall.bin"), connections=1)
        assert job["status"] == "completed", job["error"]
        assert sha256((h.downloads / "stall.bin").read_bytes()) == sha256(DATA)
        assert site.hits["/stall.bin"] >= 2
        assert any("stall timeout" in m for m in h.events.logs(job["id"]))
    finally:
        await close_harness(h)


async def test_a_server_without_ranges_gives_one_stream(harness, site: Site) -> None:
    site.file("/plain.bin", DATA, ranges=False)
    await site.start()
    job = await harness.download(site.url("/plain.bin"), connections=8)
    assert job["status"] == "completed", job["error"]
    assert site.hits["/plain.bin"] == 1
    assert sha256((harness.downloads / "plain.bin").read_bytes()) == sha256(DATA)


async def test_a_server_that_ignores_later_ranges_falls_back_to_one_stream(
    harness, site: Site
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        return await serve(request, DATA, ranges=asked is not None and asked[0] == 0)

    site.route("/odd.bin", handler)
    await site.start()
    job = await harness.download(site.url("/odd.bin"), connections=4)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "odd.bin").read_bytes()) == sha256(DATA)
    assert any("ignored the Range header" in m for m in harness.events.logs(job["id"]))


async def test_a_lying_content_range_is_detected(harness, site: Site) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA))
        if asked is not None and asked[0] > 0:
            # Sends the right bytes for the wrong claim: the offset must not be trusted.
            return await serve(request, DATA, content_range_shift=1000)
        return await serve(request, DATA)

    site.route("/liar.bin", handler)
    await site.start()
    job = await harness.download(site.url("/liar.bin"), connections=4)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "liar.bin").read_bytes()) == sha256(DATA)
    assert any("Content-Range" in m for m in harness.events.logs(job["id"]))


async def test_a_content_range_that_lies_even_from_the_start_never_makes_a_wrong_file(
    harness, site: Site
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = (
            await serve(request, DATA, content_range_shift=10)
            if "Range" in request.headers
            else None
        )
        if response is None:
            resp = web.Response(
                status=206,
                body=DATA[10:],
                headers={"Content-Range": f"bytes 10-{len(DATA) - 1}/{len(DATA)}"},
            )
            return resp
        return response

    site.route("/bad.bin", handler)
    await site.start()
    job = await harness.download(site.url("/bad.bin"), connections=4)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "ranges"
    assert not (harness.downloads / "bad.bin").exists()


async def test_an_etag_change_starts_over_and_says_why(harness, site: Site) -> None:
    new = payload(len(DATA), seed=2)
    calls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            return await serve(request, DATA, etag='"v1"', cut_after=300_000)
        return await serve(request, new, etag='"v2"')

    site.route("/moving.bin", handler)
    await site.start()
    job = await harness.download(site.url("/moving.bin"), connections=1)
    assert job["status"] == "completed", job["error"]
    assert sha256((harness.downloads / "moving.bin").read_bytes()) == sha256(new)
    assert any(
        'the ETag changed ("v1" -> "v2"): starting over' in m
        for m in harness.events.logs(job["id"])
    )


async def test_a_body_shorter_than_content_length_is_never_completed(
    tmp_path: Path, site: Site
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, DATA, ranges=False, claim_length=len(DATA) + 5000)

    site.route("/short.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download(site.url("/short.bin"))
        assert job["status"] == "failed"
        assert "connection" in job["error"]["message"]
        assert not (h.downloads / "short.bin").exists()
        assert site.hits["/short.bin"] == 2
    finally:
        await close_harness(h)


async def test_a_size_that_the_server_cannot_deliver_fails(tmp_path: Path, site: Site) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        asked = requested_range(request, len(DATA) + 5000) or (0, len(DATA) + 5000)
        start, end = asked[0], min(asked[1], len(DATA))
        resp = web.StreamResponse(
            status=206,
            headers={"Content-Range": f"bytes {asked[0]}-{asked[1] - 1}/{len(DATA) + 5000}"},
        )
        resp.content_length = asked[1] - asked[0]
        await resp.prepare(request)
        await resp.write(DATA[start:end])
        assert request.transport is not None
        request.transport.close()
        return resp

    site.route("/truncated.bin", handler)
    await site.start()
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download(site.url("/truncated.bin"), connections=2)
        assert job["status"] == "failed"
        assert not (h.downloads / "truncated.bin").exists()
    finally:
        await close_harness(h)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('attachment; filename="../../../etc/passwd"', "passwd"),
        ('attachment; filename="/tmp/absolute.sh"', "absolute.sh"),
        ("attachment; filename*=UTF-8''..%2F..%2Fevil%0A%1Bname.txt", "evil__name.txt"),
        ('attachment; filename="' + "a" * 300 + '.bin"', "a" * 196 + ".bin"),
        ('attachment; filename=".."', "hostile"),
    ],
)
async def test_hostile_content_disposition_stays_inside_the_folder(
    harness, site: Site, header: str, expected: str
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, DATA[:1000], headers={"Content-Disposition": header})

    site.route("/hostile", handler)
    await site.start()
    job = await harness.download(site.url("/hostile"))
    assert job["status"] == "completed", job["error"]
    assert job["filename"] == expected
    # Inside the download folder, or its category's folder in it (a .txt goes to Documents).
    folder = harness.downloads / job["category"] if job.get("category") else harness.downloads
    assert Path(job["path"]).parent == folder.resolve()
    assert [
        str(p.relative_to(harness.downloads)) for p in harness.downloads.rglob("*") if p.is_file()
    ] == [str((folder / expected).relative_to(harness.downloads))]


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "data:,x"]
)
async def test_other_schemes_are_refused_at_add(harness, url: str) -> None:
    from idmd.protocol.errors import UrlNotSupported

    with pytest.raises(UrlNotSupported):
        await harness.engine.add(url, {})
    assert harness.engine.snapshot() == []


async def test_bad_options_are_refused_naming_the_option(harness) -> None:
    from idmd.protocol.errors import InvalidParams

    for options, name in [
        ({"connections": 99}, "connections"),
        ({"checksum": "sha256=xyz"}, "checksum"),
        ({"on_duplicate": "explode"}, "on_duplicate"),
        ({"headers": {"Range": "bytes=0-"}}, "headers"),
        ({"bogus": 1}, "bogus"),
    ]:
        with pytest.raises(InvalidParams) as caught:
            await harness.engine.add("http://127.0.0.1:1/x", options)
        assert caught.value.data == {"param": f"options.{name}"}  # as docs/protocol.md promises
        assert caught.value.detail.startswith(f"options.{name}: ")
    with pytest.raises(InvalidParams):
        await harness.engine.add("http://", {})
