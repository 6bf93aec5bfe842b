"""TLS is verified: a server with a certificate nobody vouches for gets no download."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from aiohttp import web

from idmd.client import Client
from tests.certs import https_server, self_signed
from tests.daemon_process import DaemonProcess
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import payload, serve


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate made here, which no client trusts."""
    return self_signed(tmp_path)


async def test_a_self_signed_certificate_is_refused(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    data = payload(10_000)

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, data)

    runner, port = await https_server("/secret.bin", handler, certificate)
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download(f"https://127.0.0.1:{port}/secret.bin")
        assert job["status"] == "failed"
        assert "TLS error" in job["error"]["message"] and "certificate" in job["error"]["message"]
        assert not (h.downloads / "secret.bin").exists()
    finally:
        await close_harness(h)
        await runner.cleanup()


async def test_idmd_listens_before_reading_the_ca_bundle_and_downloads_still_trust_it(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    """Loading the CA bundle costs start-up 0.1 s (aiohttp loads it twice as it is imported):
    idmd reads it only once it listens, and what SSL_CERT_FILE names is what downloads trust.
    The bundle is a FIFO here, so reading it before READY would hold the start for ever."""
    bundle = tmp_path / "bundle.pem"
    os.mkfifo(bundle)
    data = payload(50_000)

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, data)

    runner, port = await https_server("/trusted.bin", handler, certificate)
    home = tmp_path / "home"
    home.mkdir()
    daemon = DaemonProcess(home, env={"SSL_CERT_FILE": str(bundle)}).start(timeout=10)
    written = False
    try:
        # Listening; the bundle is read now, by the context made for downloads.
        async with asyncio.timeout(30):
            await asyncio.to_thread(bundle.write_bytes, certificate[0].read_bytes())
        written = True
        async with await Client.connect(daemon.url, daemon.token) as client:
            job = await client.call("jobs.add", {"url": f"https://127.0.0.1:{port}/trusted.bin"})
            async with asyncio.timeout(30):
                async for event in client.subscribe(since=0, jobs=[job["id"]]):
                    if event.get("type") == "job.status" and event["data"]["status"] in (
                        "completed",
                        "failed",
                    ):
                        break
            done = await client.call("jobs.get", {"id": job["id"]})
        assert done["status"] == "completed", done.get("error")
        assert (daemon.download_dir / "trusted.bin").read_bytes() == data
    finally:
        if not written:  # let a writer still waiting for a reader finish
            os.close(os.open(bundle, os.O_RDONLY | os.O_NONBLOCK))
        daemon.stop()
        await runner.cleanup()
