"""TLS is verified: a server with a certificate nobody vouches for gets no download."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import require_tool
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import payload, serve


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server context with a certificate made here, which no client trusts."""
    openssl = require_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_a_self_signed_certificate_is_refused(
    tmp_path: Path, self_signed: ssl.SSLContext
) -> None:
    data = payload(10_000)

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, data)

    app = web.Application()
    app.router.add_get("/secret.bin", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self_signed)
    await site.start()
    port = runner.addresses[0][1]
    h = await make_harness(tmp_path, retries=1)
    try:
        job = await h.download(f"https://127.0.0.1:{port}/secret.bin")
        assert job["status"] == "failed"
        assert "TLS error" in job["error"]["message"] and "certificate" in job["error"]["message"]
        assert not (h.downloads / "secret.bin").exists()
    finally:
        await close_harness(h)
        await runner.cleanup()
