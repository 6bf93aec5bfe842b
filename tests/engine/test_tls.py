"""TLS is verified: a server with a certificate nobody vouches for gets no download."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from tests.certs import https_server, self_signed
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
