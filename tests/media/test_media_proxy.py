"""A media job goes through the job's proxy too: yt-dlp is handed the same proxy as the
HTTP engine, with its credentials, and the password shows nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from idmd.protocol.errors import UrlNotSupported
from tests.engine.servers import closed_port
from tests.media.conftest import Jobs
from tests.media.media_server import MediaServer
from tests.proxies import HttpProxy, Socks5Proxy

pytestmark = pytest.mark.media


@pytest.mark.parametrize("proxy_class", [Socks5Proxy, HttpProxy])
async def test_a_media_job_goes_through_the_jobs_proxy(
    server: MediaServer, jobs: Jobs, proxy_class: type
) -> None:
    proxy = await proxy_class("viewer", "m3d1a-pw").start()
    try:
        job = await jobs.download(server.url("hls.html"), quality="360p", proxy=proxy.url)
        assert job["status"] == "completed", job["error"]
        size = Path(job["path"]).stat().st_size
        assert proxy.counts.bytes_down >= size  # the page, the playlists and every fragment
        assert proxy.counts.refused == 0
        assert "m3d1a-pw" not in str(jobs.engine.get(job["id"])) + str(
            [e.data for e in jobs.events]
        )
    finally:
        await proxy.close()


async def test_a_media_job_through_an_unreachable_proxy_fails_naming_it_without_the_password(
    server: MediaServer, jobs: Jobs
) -> None:
    port = closed_port()
    with pytest.raises(UrlNotSupported) as refused:  # mode media: yt-dlp's answer comes at once
        await jobs.engine.add(
            server.url("hls.html"),
            {"proxy": f"http://u:m3d1a-pw@127.0.0.1:{port}", "mode": "media"},
        )
    assert "proxy" in refused.value.detail and str(port) in refused.value.detail
    assert "m3d1a-pw" not in str(refused.value.detail) + str(refused.value.data)
