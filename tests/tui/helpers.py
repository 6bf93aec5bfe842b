"""Waiting on a condition inside a Pilot session, with a bound (never a fixed sleep),
and the local file server the live tests download from."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from textual.pilot import Pilot


@asynccontextmanager
async def file_server(path: Path) -> AsyncIterator[TestServer]:
    """On 127.0.0.1, any ``/NAME`` serves the file at ``path`` (with ranges)."""

    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


async def wait_until(
    pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.02)


async def ready(pilot: Pilot, selector: str) -> None:
    """Wait until ``selector`` on the current screen is laid out, so keys and clicks land on it."""

    def laid_out() -> bool:
        found = pilot.app.screen.query(selector)
        return bool(found) and found.first().region.area > 0

    await wait_until(pilot, laid_out, what=selector)
    await pilot.pause()
