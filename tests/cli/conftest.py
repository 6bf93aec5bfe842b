"""A local file server and a way to run ``idm`` as a real process against the
real daemon (``daemon`` fixture from tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


@dataclass
class Result:
    status: int
    out: str
    err: str


async def idm(
    *args: str,
    home: Path,
    timeout: float = 60,
    cwd: Path = ROOT,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """Run ``idm ARGS`` (as ``python -m idmd.cli.main``)
    with IDM_HOME=home (and ``stdin``, ``env``)."""
    env = dict(os.environ, IDM_HOME=str(home), COLUMNS="100", **(env or {}))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "idmd.cli.main",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        proc.communicate(None if stdin is None else stdin.encode()), timeout
    )
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


@dataclass
class Files:
    server: TestServer
    gate: asyncio.Event  # /slow.bin sends its last half only once this is set

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"


@pytest.fixture
async def files() -> AsyncIterator[Files]:
    gate = asyncio.Event()

    async def whole(request: web.Request) -> web.StreamResponse:
        return web.Response(body=PAYLOAD, headers={"Accept-Ranges": "none"})

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(PAYLOAD))})
        await response.prepare(request)
        await response.write(PAYLOAD[: len(PAYLOAD) // 2])
        await gate.wait()
        await response.write(PAYLOAD[len(PAYLOAD) // 2 :])
        return response

    app = web.Application()
    app.router.add_get("/file.bin", whole)
    app.router.add_get("/slow.bin", slow)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield Files(server, gate)
    gate.set()
    await server.close()
