"""End-to-end fixtures for the Chrome extension: Debian's chromium (driven by
playwright, no browser download) with the unpacked extension loaded, and a
local aiohttp site with files, a <video> page and a download held at a gate."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

CHROMIUM = Path("/usr/lib/chromium/chromium")
EXTENSION_DIR = Path(__file__).resolve().parents[2] / "chrome-extension"
EXTENSION_ID = "obfggeidlkfpllaebcgegapjljaecboo"  # fixed by the manifest's key
POPUP = f"chrome-extension://{EXTENSION_ID}/popup.html"

ZIP_BYTES = bytes(range(256)) * 1200  # 300 KiB, a "file" the capture rules take
GATED_BYTES = b"g" * (512 * 1024)
BIG_SIZE = 20 * 1024 * 1024  # big enough that a browser left to it fetches megabytes
CHUNK = 64 * 1024


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (CI installs it)")
    return CHROMIUM


@pytest.fixture(scope="session")
def clip_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real one-second MP4 (so yt-dlp or the HTTP engine, whichever idmd picks, can fetch it)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed (CI installs it)")
    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=10:duration=1",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(out),
        ],
        check=True,
    )
    return out.read_bytes()


@dataclass
class Site:
    """The local web site the browser visits; records what reached it."""

    server: TestServer
    gate: asyncio.Event
    root: Path
    requests: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)  # body bytes written: per path, "browser"
    # Seconds between the chunks of big.zip sent to the browser's own request (0: as fast as
    # it reads): the file then takes seconds to arrive, as from a real site, instead of the
    # few ms of loopback that a loaded machine can let pass before any pause is seen.
    browser_pace: float = 0.0

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def file_requests(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


@pytest_asyncio.fixture(loop_scope="module")
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    gate = asyncio.Event()
    zip_path = tmp_path / "sample.zip"
    zip_path.write_bytes(ZIP_BYTES)
    holder: dict[str, Site] = {}

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        holder["site"].requests.append({"path": request.path, "headers": dict(request.headers)})
        return await handler(request)

    async def index(request: web.Request) -> web.Response:
        html = (
            "<!doctype html><title>files</title>"
            '<a id="file" href="/files/sample.zip">sample.zip</a>'
            '<a id="big" href="/files/big.zip">big.zip</a>'
        )
        response = web.Response(text=html, content_type="text/html")
        response.set_cookie("session", "s3cret", path="/")
        return response

    async def video_page(request: web.Request) -> web.Response:
        html = (
            "<!doctype html><title>video</title>"
            '<video id="v" src="/media/clip.mp4" controls></video>'
        )
        return web.Response(text=html, content_type="text/html")

    async def hls_page(request: web.Request) -> web.Response:
        # A player that loads its playlist by script: only webRequest can see it.
        html = "<!doctype html><title>stream</title><script>fetch('/streams/master.m3u8')</script>"
        return web.Response(text=html, content_type="text/html")

    async def playlist(request: web.Request) -> web.Response:
        body = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000,RESOLUTION=64x48\nlow.m3u8\n"
        return web.Response(text=body, content_type="application/vnd.apple.mpegurl")

    async def sample_zip(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(zip_path, headers={"Content-Type": "application/zip"})

    async def clip(request: web.Request) -> web.StreamResponse:
        path = tmp_path / "clip.mp4"  # written by the test that needs it (ffmpeg-made)
        if not path.exists():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "video/mp4"})

    async def big(request: web.Request) -> web.StreamResponse:
        # Served as fast as the client reads it, with ranges (idmd splits it),
        # counting every body byte handed to the socket.
        try:
            wanted = request.http_range
        except ValueError:
            raise web.HTTPRequestRangeNotSatisfiable() from None
        start, stop, _ = wanted.indices(BIG_SIZE)
        partial = wanted != slice(None, None, None)
        headers = {
            "Content-Type": "application/zip",
            "Accept-Ranges": "bytes",
            "Content-Length": str(stop - start),
        }
        if partial:
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{BIG_SIZE}"
        response = web.StreamResponse(status=206 if partial else 200, headers=headers)
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        site_ = holder["site"]
        chunk = b"z" * CHUNK
        position = start
        while position < stop:
            piece = chunk[: min(CHUNK, stop - position)]
            site_.sent[request.path] = site_.sent.get(request.path, 0) + len(piece)
            if "Sec-Fetch-Mode" in request.headers:  # the browser's own request
                site_.sent["browser"] = site_.sent.get("browser", 0) + len(piece)
                if site_.browser_pace:
                    await asyncio.sleep(site_.browser_pace)
            await response.write(piece)
            position += len(piece)
        await response.write_eof()
        return response

    async def gated(request: web.Request) -> web.StreamResponse:
        # Half the body, then wait for the test: a download that is visibly in progress.
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(len(GATED_BYTES)),
            }
        )
        await response.prepare(request)
        half = len(GATED_BYTES) // 2
        await response.write(GATED_BYTES[:half])
        if request.method != "HEAD":
            await gate.wait()
            await response.write(GATED_BYTES[half:])
        await response.write_eof()
        return response

    app = web.Application(middlewares=[record])
    app.router.add_get("/", index)
    app.router.add_get("/video.html", video_page)
    app.router.add_get("/hls.html", hls_page)
    app.router.add_get("/streams/master.m3u8", playlist)
    app.router.add_get("/files/sample.zip", sample_zip)
    app.router.add_get("/media/clip.mp4", clip)
    app.router.add_get("/slow/big.bin", gated)
    app.router.add_get("/files/big.zip", big)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    holder["site"] = Site(server, gate, tmp_path)
    yield holder["site"]
    gate.set()
    await server.close()


async def wait_for_job(client: Any, url: str, timeout: float = 30.0) -> dict[str, Any]:
    """The daemon's job for ``url`` once it completed; fails at once if it failed."""

    async def check() -> dict[str, Any] | None:
        listing = await client.call("jobs.list", {})
        for job in listing["jobs"]:
            if job["url"] == url:
                if job["status"] in ("failed", "cancelled"):
                    raise AssertionError(f"the job ended {job['status']}: {job['error']}")
                if job["status"] == "completed":
                    return dict(job)
        return None

    return dict(await wait_for(check, timeout, interval=0.2, what=f"a completed job for {url}"))


async def wait_for(
    predicate: Any, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"
) -> Any:
    """Poll an async or plain predicate until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


@dataclass
class Browser:
    """Chromium with the extension, and helpers to reach its service worker."""

    context: Any
    download_dir: Path

    @property
    def worker(self) -> Any:
        for sw in self.context.service_workers:
            if sw.url.startswith(f"chrome-extension://{EXTENSION_ID}/"):
                return sw
        return None

    async def ready_worker(self) -> Any:
        sw = await wait_for(lambda: self.worker, what="the extension's service worker")
        await sw.evaluate("globalThis.idm.ready")
        return sw

    async def eval(self, script: str) -> Any:
        sw = await self.ready_worker()
        return await sw.evaluate(script)

    async def configure(self, daemon_url: str, token: str | None) -> None:
        """What a user does in the options page: the address, and a pasted token (or none)."""
        settings = {"daemonUrl": daemon_url}
        await self.eval(f"chrome.storage.local.set({{settings: {json.dumps(settings)}}})")
        if token:
            await self.eval(f"chrome.storage.local.set({{token: {json.dumps(token)}}})")

    async def connection_state(self) -> str:
        return str(await self.eval("globalThis.idm.worker.connection.state"))

    async def wait_state(self, state: str, timeout: float = 20.0) -> None:
        async def check() -> bool:
            return await self.connection_state() == state

        await wait_for(check, timeout, what=f"connection state {state}")

    async def tab_id(self, url: str) -> int:
        tabs = await self.eval(f"chrome.tabs.query({{url: {json.dumps(url)}}})")
        assert tabs, f"no tab shows {url}"
        return int(tabs[0]["id"])

    async def open_popup(self, tab_id: int = -1) -> Any:
        page = await self.context.new_page()
        await page.goto(f"{POPUP}?tab={tab_id}")
        return page

    async def browser_downloads(self) -> list[dict[str, Any]]:
        return list(await self.eval("chrome.downloads.search({})"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def playwright_driver(chromium_path: Path) -> AsyncIterator[Any]:
    """Playwright's driver, started once per module (it costs seconds; browsers are per test)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    driver = await playwright_api.async_playwright().start()
    yield driver
    await driver.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def browser(
    playwright_driver: Any, chromium_path: Path, tmp_path: Path
) -> AsyncIterator[Browser]:
    profile = tmp_path / "profile"
    downloads = tmp_path / "browser-downloads"
    downloads.mkdir()
    # The browser's own download folder, so a download it keeps lands in the test's tmp dir.
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps(
            {"download": {"default_directory": str(downloads), "prompt_for_download": False}}
        )
    )
    context = await playwright_driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(chromium_path),
        headless=True,
        accept_downloads=True,
        args=[
            f"--disable-extensions-except={EXTENSION_DIR}",
            f"--load-extension={EXTENSION_DIR}",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    )
    try:
        # Playwright takes downloads over (so chrome.downloads.onDeterminingFilename
        # never fires); hand them back to the browser as a user's Chrome has them.
        cdp = await context.browser.new_browser_cdp_session()
        await cdp.send("Browser.setDownloadBehavior", {"behavior": "default"})
        browser = Browser(context, downloads)
        await browser.ready_worker()
        yield browser
    finally:
        await context.close()
