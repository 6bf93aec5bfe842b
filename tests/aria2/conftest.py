"""A real idmd and a real file server on 127.0.0.1 for the aria2 face's tests,
and aria2p (the Python aria2 client) pointed at the daemon's ``/jsonrpc``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.daemon_process import DaemonProcess


@dataclass
class Files:
    """Random files served with ranges, and ``/gated.bin``,
    which stops halfway until ``gate`` is set."""

    server: TestServer
    gate: asyncio.Event
    data: dict[str, bytes]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.port}/{name}"

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.data[name]).hexdigest()


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[Files]:
    root = tmp_path / "served"
    root.mkdir()
    data = {
        "one.bin": os.urandom(3 << 20),
        "two.bin": os.urandom(700_000),
        "gated.bin": os.urandom(1 << 20),
    }
    for name, body in data.items():
        (root / name).write_bytes(body)
    gate = asyncio.Event()

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in data:
            raise web.HTTPNotFound()
        if name != "gated.bin":
            return web.FileResponse(root / name)
        body = data[name]
        response = web.StreamResponse(
            headers={"Content-Length": str(len(body)), "Accept-Ranges": "none"}
        )
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        await gate.wait()
        await response.write(body[len(body) // 2 :])
        return response

    app = web.Application()
    app.router.add_get("/{name}", serve)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield Files(server, gate, data)
    gate.set()
    await server.close()


def start_daemon(home: Path, config: dict[str, Any] | None = None) -> DaemonProcess:
    home.mkdir(parents=True, exist_ok=True)
    if config:
        lines = [f"{k} = {json.dumps(v)}" for k, v in config.items()]
        (home / "config.toml").write_text("\n".join(lines) + "\n")
    return DaemonProcess(home).start()


@pytest.fixture
def idmd(tmp_path: Path) -> Iterator[DaemonProcess]:
    process = start_daemon(tmp_path / "idm-home")
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.stop()


async def jsonrpc(daemon: DaemonProcess, body: Any, headers: dict[str, str] | None = None) -> Any:
    """POST a raw message to ``/jsonrpc``; the decoded answer."""
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{daemon.port}/jsonrpc"
        async with session.post(url, data=json.dumps(body), headers=headers) as response:
            return json.loads(await response.text())


async def call(daemon: DaemonProcess, method: str, *params: Any, token: bool = True) -> Any:
    """One aria2 call with the daemon's token; the whole reply (``result`` or ``error``)."""
    full = [f"token:{daemon.token}", *params] if token else list(params)
    return await jsonrpc(daemon, {"jsonrpc": "2.0", "id": "t", "method": method, "params": full})


async def add_and_wait(daemon: DaemonProcess, url: str, timeout: float = 30.0) -> str:
    """``aria2.addUri`` over a WebSocket, then wait for its ``onDownloadComplete``; the GID."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://127.0.0.1:{daemon.port}/jsonrpc") as ws,
    ):
        await ws.send_json(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "aria2.addUri",
                "params": [f"token:{daemon.token}", [url]],
            }
        )
        gid = None
        async with asyncio.timeout(timeout):
            async for message in ws:
                data = json.loads(message.data)
                if data.get("id") == 1:
                    gid = data["result"]
                elif (
                    data.get("method") == "aria2.onDownloadComplete"
                    and gid is not None
                    and data["params"][0]["gid"] == gid
                ):
                    return gid
    raise AssertionError(f"{url} did not complete")


@dataclass
class Notifications:
    """aria2p's ``listen_to_notifications`` on a thread; every (type, gid) lands in ``received``."""

    client: Any
    received: queue.Queue[tuple[str, str]] = field(default_factory=queue.Queue)
    seen: list[tuple[str, str]] = field(default_factory=list)

    async def wait_for(self, kind: str, gid: str, timeout: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (kind, gid) not in self.seen:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {kind} for {gid}; got {self.seen}")
            try:
                self.seen.append(await asyncio.to_thread(self.received.get, True, min(left, 1.0)))
            except queue.Empty:
                continue


@pytest.fixture
def notifications(idmd: DaemonProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Notifications]:
    aria2p = pytest.importorskip("aria2p")
    from aria2p._internal import client as client_module

    connected = threading.Event()
    real_connect = client_module.websocket.create_connection

    def connect(*args: Any, **kwargs: Any) -> Any:
        socket = real_connect(*args, **kwargs)
        # the daemon listens before it completes the upgrade: nothing is missed after this
        connected.set()
        return socket

    monkeypatch.setattr(client_module.websocket, "create_connection", connect)
    client = aria2p.Client(host="http://127.0.0.1", port=idmd.port, secret=idmd.token)
    box = Notifications(client)

    def on(kind: str) -> Any:
        return lambda gid: box.received.put((kind, gid))

    thread = threading.Thread(
        target=client.listen_to_notifications,
        kwargs={
            "on_download_start": on("start"),
            "on_download_pause": on("pause"),
            "on_download_stop": on("stop"),
            "on_download_complete": on("complete"),
            "on_download_error": on("error"),
            "timeout": 1,
            "handle_signals": False,
        },
        daemon=True,
    )
    thread.start()
    assert connected.wait(10), "aria2p's WebSocket did not connect"
    yield box
    client.stop_listening()
    thread.join(10)
