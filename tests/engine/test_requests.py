"""What a job sends and follows: its headers, redirects, odd sizes, probes, pages."""

from __future__ import annotations

import pytest
from aiohttp import web

from idmd.protocol.errors import UrlNotSupported
from tests.engine.conftest import Harness
from tests.engine.servers import Site, payload, serve, sha256

DATA = payload(300 * 1024)


async def test_per_job_headers_cookies_referer_and_user_agent_are_sent(
    harness: Harness, site: Site
) -> None:
    seen: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        return await serve(request, DATA)

    site.route("/private.bin", handler)
    await site.start()
    job = await harness.download(
        site.url("/private.bin"),
        headers={"X-Token": "abc"},
        cookies={"session": "s1", "theme": "dark"},
        referer="https://example.org/page",
        user_agent="TestAgent/1.0",
    )
    assert job["status"] == "completed"
    for headers in seen:
        assert headers["X-Token"] == "abc"
        assert headers["Cookie"] == "session=s1; theme=dark"
        assert headers["Referer"] == "https://example.org/page"
        assert headers["User-Agent"] == "TestAgent/1.0"


async def test_redirects_are_followed_and_name_the_file(harness: Harness, site: Site) -> None:
    async def jump(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/files/real-name.iso")

    site.route("/get", jump)
    site.file("/files/real-name.iso", DATA)
    await site.start()
    job = await harness.download(site.url("/get"))
    assert job["status"] == "completed" and job["filename"] == "real-name.iso"
    assert sha256((harness.downloads / "real-name.iso").read_bytes()) == sha256(DATA)


async def test_unknown_size_and_empty_files(harness: Harness, site: Site) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(0, len(DATA), 10_000):
            await response.write(DATA[i : i + 10_000])
        await response.write_eof()
        return response

    site.route("/chunked.bin", chunked)
    site.file("/empty.bin", b"")
    await site.start()
    job = await harness.download(site.url("/chunked.bin"))
    assert job["status"] == "completed" and job["size"] == len(DATA)
    assert sha256((harness.downloads / "chunked.bin").read_bytes()) == sha256(DATA)
    job = await harness.download(site.url("/empty.bin"))
    assert job["status"] == "completed" and job["size"] == 0
    assert (harness.downloads / "empty.bin").read_bytes() == b""


async def test_probe_describes_a_file_without_downloading_it(harness: Harness, site: Site) -> None:
    site.file(
        "/probe.bin", DATA, headers={"Content-Disposition": 'attachment; filename="nice name.bin"'}
    )
    await site.start()
    result = await harness.engine.probe(site.url("/probe.bin"), {})
    assert result["kind"] == "file"
    assert (result["filename"], result["size"], result["resumable"]) == (
        "nice name.bin",
        len(DATA),
        True,
    )
    assert site.served["/probe.bin"] <= 1  # one byte asked: the body was not fetched
    assert not harness.downloads.exists() or list(harness.downloads.iterdir()) == []
    with pytest.raises(UrlNotSupported):
        await harness.engine.probe("ftp://example.org/x", {})
    with pytest.raises(UrlNotSupported, match="HTTP 404"):
        await harness.engine.probe(site.url("/missing"), {})


async def test_a_page_is_a_file_in_http_mode(harness: Harness, site: Site) -> None:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html><body>hello</body></html>", content_type="text/html")

    site.route("/page.html", page)
    await site.start()
    job = await harness.download(site.url("/page.html"), mode="http")
    assert job["status"] == "completed" and job["kind"] == "http"
    assert (harness.downloads / "page.html").read_text() == "<html><body>hello</body></html>"


async def test_update_changes_priority_limit_and_name_of_a_paused_job(
    harness: Harness, site: Site
) -> None:
    site.file("/later.bin", DATA)
    await site.start()
    job = await harness.engine.add(site.url("/later.bin"), {"start": "paused"})
    assert job["status"] == "paused"
    updated = await harness.engine.update(
        job["id"], {"priority": 3, "speed_limit": 10_000_000, "filename": "../renamed.bin"}
    )
    assert updated["filename"] == "renamed.bin"
    assert updated["options"]["priority"] == 3
    await harness.engine.resume([job["id"]])
    assert await harness.events.status(job["id"], "completed", "failed") == "completed"
    assert sha256((harness.downloads / "renamed.bin").read_bytes()) == sha256(DATA)


async def test_a_page_in_auto_mode_goes_to_the_media_runner(harness: Harness, site: Site) -> None:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.Response(
            text="<html><body>no video here</body></html>", content_type="text/html"
        )

    site.route("/watch", page)
    await site.start()
    job = await harness.download(site.url("/watch"), timeout=60)
    assert job["kind"] == "media"
    assert any("downloading it as media" in m for m in harness.events.logs(job["id"]))
    # yt-dlp finds nothing on this page: a clear failure, and the page was not saved as a file.
    assert job["status"] == "failed" and job["error"]["message"]
    assert not (harness.downloads / "watch").exists()
