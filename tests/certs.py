"""A self-signed certificate for 127.0.0.1, and an HTTPS server on it, for the tests."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

from aiohttp import web

from tests.conftest import require_tool


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, made with openssl; the certificate is its own CA."""
    openssl = require_tool("openssl")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


async def https_server(
    path: str, handler: web.RequestHandler, certificate: tuple[Path, Path]
) -> tuple[web.AppRunner, int]:
    """An HTTPS server on 127.0.0.1 answering ``path``; (its runner, to clean up; its port)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    return runner, runner.addresses[0][1]
