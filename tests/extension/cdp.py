"""Chromium driven over plain CDP (``--remote-debugging-port``), for tests that
need Chrome to treat the extension's service worker as a user's Chrome does.

Playwright attaches a debugger to every worker, and a worker with a debugger
attached is never stopped when idle: a pairing or reconnection bug that only
shows once Chrome stops the worker passes under Playwright. Here the browser
is attached to pages only (and to the worker only when a test asks, after the
fact). Polling uses ``Runtime.evaluate``: extension pages forbid eval, so
anything that compiles a polling function in the page fails there.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp

from tests.extension.conftest import EXTENSION_DIR, wait_for


class Cdp:
    """One browser-level CDP connection; sessions are attached targets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []  # every event received, in order
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "method" in data:
                self.events.append(data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                if "error" in data:
                    future.set_exception(RuntimeError(f"CDP: {data['error']}"))
                else:
                    future.set_result(data.get("result", {}))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, 30)

    async def open_page(self, url: str) -> tuple[str, str]:
        """A new tab showing ``url``: (target id, attached session id)."""
        target = (await self.send("Target.createTarget", {"url": url}))["targetId"]
        session = (await self.send("Target.attachToTarget", {"targetId": target, "flatten": True}))[
            "sessionId"
        ]
        return target, session

    async def evaluate(self, session: str, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_eval(self, session: str, expression: str, timeout: float = 20.0) -> Any:
        """Poll ``expression`` in the page until it is truthy."""

        async def check() -> Any:
            with suppress(AssertionError, RuntimeError):  # the page may be between documents
                return await self.evaluate(session, expression)
            return None

        return await wait_for(check, timeout, interval=0.2, what=expression)

    async def worker_target(self) -> str | None:
        """The extension's service worker target while it runs, else None."""
        targets = (await self.send("Target.getTargets"))["targetInfos"]
        for info in targets:
            if info["type"] == "service_worker" and info["url"].endswith("/background.js"):
                return str(info["targetId"])
        return None

    def worker_statuses(self) -> list[str]:
        """The extension worker's running statuses seen (ServiceWorker domain enabled on a page)."""
        return [
            version["runningStatus"]
            for event in self.events
            if event["method"] == "ServiceWorker.workerVersionUpdated"
            for version in event["params"]["versions"]
            if version["scriptURL"].endswith("/background.js")
        ]

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


@asynccontextmanager
async def chromium_over_cdp(chromium: Path, profile: Path) -> AsyncIterator[Cdp]:
    """Chromium with the extension, headless, reachable over plain CDP."""
    profile.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        str(chromium),
        "--headless=new",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        f"--disable-extensions-except={EXTENSION_DIR}",
        f"--load-extension={EXTENSION_DIR}",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "about:blank",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    session: aiohttp.ClientSession | None = None
    cdp: Cdp | None = None
    try:
        active = profile / "DevToolsActivePort"  # written once the port is open
        await wait_for(active.exists, 30, what="Chromium's DevTools port")
        port, path = (
            await wait_for(lambda: _port_file(active), 10, what="the port file")
        ).splitlines()[:2]
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        cdp = Cdp(ws)
        yield cdp
    finally:
        if cdp is not None:
            await cdp.close()
        if session is not None:
            await session.close()
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _port_file(path: Path) -> str | None:
    text = path.read_text()
    return text if text.count("\n") >= 1 and text.split("\n")[1] else None
