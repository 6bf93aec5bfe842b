"""Stored and ~/.netrc credentials reach media (yt-dlp) jobs as they reach plain downloads:
a loopback server that answers 401 without HTTP Basic authentication serves the test
media; yt-dlp's pages, manifests and fragments and the daemon's own fetch of a direct
video all carry the credentials, and the password shows nowhere."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.config import Config
from idmd.engine import Engine
from idmd.engine.credentials import Credentials
from idmd.events import EventBus
from idmd.store import Store
from tests.media.conftest import Jobs

pytestmark = pytest.mark.media
USER, PASSWORD = "viewer", "s3cret-m3dia"


class Locked:
    """The test media behind HTTP Basic authentication; counts what it answered."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.allowed: list[str] = []
        self.refused: list[str] = []
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {token}":
            self.refused.append(request.path)
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="media"'})
        self.allowed.append(request.path)
        rel = request.path.lstrip("/").removeprefix("f/")
        path = (self.root / rel).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise web.HTTPNotFound()
        if path.suffix == ".html":
            return web.Response(body=path.read_bytes(), content_type="text/html")
        return web.FileResponse(path)  # ranges too: the daemon's segmented fetch uses them

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))


@pytest.fixture
async def locked(media_root: Path) -> AsyncIterator[Locked]:
    site = Locked(media_root)
    app = web.Application()
    app.router.add_get("/{path:.+}", site.handle)
    site.server = TestServer(app, host="127.0.0.1", port=0)
    await site.server.start_server()
    yield site
    await site.server.close()


async def open_jobs(tmp_path: Path, credentials: Credentials) -> Jobs:
    store = await Store.open(tmp_path / "idm.db")
    bus = EventBus()
    config = Config(stall_timeout=20.0, retries=1, connections=4)
    engine = Engine(config, tmp_path / "downloads", store, bus, credentials)
    jobs = Jobs(engine, bus, tmp_path / "downloads", store)
    await engine.start()
    return jobs


def shown(jobs: Jobs, job_id: str) -> str:
    return str(jobs.engine.get(job_id)) + str([e.data for e in jobs.events])


async def test_stored_credentials_reach_an_hls_job_s_pages_manifests_and_fragments(
    tmp_path: Path, locked: Locked, media_root: Path
) -> None:
    credentials = Credentials(tmp_path / "credentials.json")
    credentials.add("127.0.0.1", USER, PASSWORD)
    jobs = await open_jobs(tmp_path, credentials)
    try:
        job = await jobs.download(locked.url("/hls.html"), mode="media", quality="360p")
        assert job["status"] == "completed", job["error"]
        assert Path(job["path"]).stat().st_size > 0
        assert locked.refused == []
        assert any(p.endswith(".ts") for p in locked.allowed)  # yt-dlp's own fragments
        assert PASSWORD not in shown(jobs, job["id"])
    finally:
        await jobs.close()


async def test_netrc_credentials_reach_a_page_s_video_fetched_by_the_daemon(
    tmp_path: Path, locked: Locked, media_root: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    jobs = await open_jobs(tmp_path, Credentials(None, netrc))
    try:
        job = await jobs.download(locked.url("/page.html"), mode="media")
        assert job["status"] == "completed", job["error"]
        assert Path(job["path"]).read_bytes() == (media_root / "video.mp4").read_bytes()
        assert locked.refused == [] and "/f/video.mp4" in locked.allowed
        assert PASSWORD not in shown(jobs, job["id"])
    finally:
        await jobs.close()


async def test_a_video_on_another_host_never_sees_the_credentials(
    tmp_path: Path, locked: Locked, media_root: Path
) -> None:
    seen: list[str | None] = []

    async def cdn(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Authorization"))
        return web.FileResponse(media_root / "video.mp4")

    app = web.Application()
    app.router.add_get("/video.mp4", cdn)
    other = TestServer(app, host="127.0.0.1", port=0)
    await other.start_server()
    # Another host name for the same loopback address: credentials are kept per host name.
    page = (
        f'<html><body><video src="http://localhost:{other.port}/video.mp4"></video></body></html>'
    )
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "cdn.html").write_text(page)
    locked.root = tmp_path / "media"
    credentials = Credentials(tmp_path / "credentials.json")
    credentials.add("127.0.0.1", USER, PASSWORD)
    jobs = await open_jobs(tmp_path, credentials)
    try:
        job = await jobs.download(locked.url("/cdn.html"), mode="media")
        assert job["status"] == "completed", job["error"]
        assert locked.allowed == ["/cdn.html"] and seen and set(seen) == {None}
    finally:
        await jobs.close()
        await other.close()
