"""A real nats-server and several real idmd on it, for the fleet tests.

``nats-server -js`` runs on a free loopback port with its store in a temporary
folder (so a restart keeps the queue); each daemon has its own ``IDM_HOME``
and all of them one download folder, as a fleet on a shared NFS folder has.
Tests skip, saying why, where Debian's ``nats-server`` is missing (CI installs it).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.client import Client
from tests.conftest import require_tool
from tests.daemon_process import DaemonProcess
from tests.engine.servers import payload, serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NatsServer:
    binary: str
    store: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> NatsServer:
        log = open(self.store.parent / "nats.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [self.binary, "-js", "-sd", str(self.store), "-a", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # ready when it accepts connections
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(4096).startswith(b"INFO"):
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(
            f"nats-server did not start: {(self.store.parent / 'nats.log').read_text()}"
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    binary = require_tool("nats-server")
    pytest.importorskip("nats", reason="nats-py is not installed (pip install 'idm[fleet]')")
    store = tmp_path / "nats-store"
    store.mkdir()
    server = NatsServer(binary, store).start()
    yield server
    server.stop()


@dataclass
class Node:
    """One daemon of the fleet."""

    name: str
    process: DaemonProcess
    client: Client | None = None

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        assert self.client is not None
        return await self.client.call(method, params)

    def history(self) -> dict[str, str]:
        """Job id -> status in this node's own SQLite history (readable after a SIGKILL too)."""
        with sqlite3.connect(f"file:{self.process.home / 'idm.db'}?mode=ro", uri=True) as db:
            return dict(db.execute("SELECT id, status FROM jobs"))


@dataclass
class Fleet:
    nodes: list[Node]
    downloads: Path

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def completed_on(self) -> dict[str, list[str]]:
        """Job id -> the nodes whose history says it completed."""
        done: dict[str, list[str]] = {}
        for node in self.nodes:
            for job_id, status in node.history().items():
                if status == "completed":
                    done.setdefault(job_id, []).append(node.name)
        return done

    async def wait_completed(self, ids: set[str], timeout: float) -> dict[str, list[str]]:
        """Until every job in ``ids`` completed on some
        node (the histories, looked at twice a second)."""
        deadline = time.monotonic() + timeout
        while True:
            done = await asyncio.to_thread(self.completed_on)
            if ids <= set(done) or time.monotonic() > deadline:
                return done
            await asyncio.sleep(0.5)


def write_config(home: Path, nats: NatsServer, name: str, downloads: Path, **extra: Any) -> None:
    home.mkdir(parents=True, exist_ok=True)
    fleet = {
        "url": nats.url,
        "node": name,
        "ack_wait": 3,
        "max_deliver": 3,
        **extra.pop("fleet", {}),
    }
    top = {
        "download_dir": str(downloads),
        "max_active": 2,
        "retries": 0,
        "stall_timeout": 5,
        **extra,
    }
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in top.items()]
    lines.append("[fleet]")
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in fleet.items()]
    (home / "config.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
async def fleet(
    tmp_path: Path, nats_server: NatsServer, request: pytest.FixtureRequest
) -> AsyncIterator[Fleet]:
    """Three idmd (n1, n2, n3) in one fleet, one shared download folder, clients connected;
    ``@pytest.mark.fleet_config(max_deliver=1)`` changes ``[fleet]`` keys."""
    downloads = tmp_path / "shared"
    downloads.mkdir()
    marker = request.node.get_closest_marker("fleet_config")
    fleet_keys = dict(marker.kwargs) if marker else {}
    processes = []
    for name in ("n1", "n2", "n3"):
        home = tmp_path / name
        write_config(home, nats_server, name, downloads, fleet=fleet_keys)
        processes.append(DaemonProcess(home))
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(DaemonProcess.start, processes))
    nodes = [Node(f"n{i + 1}", p) for i, p in enumerate(processes)]
    for node in nodes:
        node.client = await Client.connect(node.process.url, node.process.token, reconnect=False)
    try:
        yield Fleet(nodes, downloads)
    finally:
        for node in nodes:
            if node.client is not None:
                await node.client.close()
        for process in processes:
            if process.proc is not None and process.proc.poll() is None:
                process.stop()


@dataclass
class Files:
    """Files served on 127.0.0.1 (ranges, ETag), each paced to ``pace`` s per 64 KiB per
    connection so downloads last long enough to be interrupted; ``broken`` names answer 500."""

    pace: float = 0.0
    data: dict[str, bytes] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)  # body bytes sent per name
    hits: dict[str, int] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    server: TestServer | None = None

    def add(self, count: int, size: int, prefix: str = "f") -> dict[str, bytes]:
        made = {f"{prefix}{i}.bin": payload(size, seed=len(self.data) + i) for i in range(count)}
        self.data.update(made)
        return made

    def url(self, name: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/{name}"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        if name in self.broken:
            raise web.HTTPInternalServerError()
        if name not in self.data:
            raise web.HTTPNotFound()

        def count(n: int) -> None:
            self.served[name] = self.served.get(name, 0) + n

        return await serve(request, self.data[name], count=count, pace=self.pace)

    async def start(self) -> Files:
        app = web.Application()
        app.router.add_get("/{name}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()
        return self


@pytest.fixture
async def files() -> AsyncIterator[Files]:
    server = await Files().start()
    yield server
    assert server.server is not None
    await server.server.close()
