"""Fleet benchmark: 3 idmd on one NATS queue against 1 idmd, on a server that caps each connection.

60 files of ``IDM_BENCH_FLEET_MIB`` MiB (default 2) behind nginx's stream module
at 1 MiB/s per connection: every node runs ``max_active = 3`` jobs of 4
connections, so one node moves about 12 MiB/s and three nodes about three
times that, less what coordinating costs. Both runs add every job at once
through one daemon (``jobs.add_many``) and wait for the last ``job.status
completed`` on it (a fleet node relays the others' events). Target: the
fleet's wall time at most 0.4x the single node's.

Then the latency the fleet adds: a small file added on node 1 while the
nodes are idle, from the ``jobs.add`` call to its first request reaching the
server (an aiohttp server in this process, so one clock), against the same
on a single daemon; only jobs another node took count for the fleet. Target:
the fleet adds at most 50 ms at p99. Figures, not asserts (a shared machine).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.client import Client
from tests.bench.nginx import nginx
from tests.bench.runners import MiB, idmd_download, write_file
from tests.conftest import require_tool
from tests.daemon_process import DaemonProcess
from tests.fleet.conftest import NatsServer, write_config

FILES = 60
SIZE_MIB = int(os.environ.get("IDM_BENCH_FLEET_MIB", "2"))
PROBES = int(os.environ.get("IDM_BENCH_PROBES", "30"))
NODE = "max_active = 3\nconnections = 4\n"


@pytest.fixture
def nats_server(tmp_path: Path) -> NatsServer:
    binary = require_tool("nats-server")
    store = tmp_path / "nats-store"
    store.mkdir()
    return NatsServer(binary, store)


def fleet_homes(tmp_path: Path, nats: NatsServer, shared: Path) -> list[DaemonProcess]:
    processes = []
    for name in ("n1", "n2", "n3"):
        home = tmp_path / name
        write_config(
            home,
            nats,
            name,
            shared,
            max_active=3,
            connections=4,
            retries=5,
            stall_timeout=30,
            fleet={"ack_wait": 30},
        )
        processes.append(DaemonProcess(home))
    return processes


@pytest.fixture
async def stamps() -> AsyncIterator[tuple[TestServer, dict[str, float]]]:
    """A server that notes when each path's first request arrives (time.perf_counter)."""
    seen: dict[str, float] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.setdefault(request.path, time.perf_counter())
        return web.Response(body=b"x" * 65536, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/{name}", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield server, seen
    await server.close()


async def latencies(
    daemon: DaemonProcess,
    server: TestServer,
    seen: dict[str, float],
    tag: str,
    other_node_only: str | None = None,
) -> list[float]:
    """Seconds from jobs.add to the first request, one job at a time (nodes idle)."""
    client = await Client.connect(daemon.url, daemon.token)
    found: list[float] = []
    try:
        events = client.subscribe(types=["job.status"])
        await anext(events)
        for i in range(PROBES):
            path = f"/{tag}{i}.bin"
            started = time.perf_counter()
            job = await client.call("jobs.add", {"url": str(server.make_url(path))})
            node = None
            async with asyncio.timeout(30):
                async for event in events:
                    if event["job"] == job["id"] and event["data"]["status"] == "completed":
                        node = event.get("node")
                        break
            if other_node_only is None or node != other_node_only:
                found.append(seen[path] - started)
        await events.aclose()  # type: ignore[attr-defined]
    finally:
        await client.close()
    return found


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def quantiles(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {p99(values) * 1000:.1f} ms"
        f" (n={len(values)})"
    )


async def all_alive(daemon: DaemonProcess, count: int) -> None:
    """Until the node's heartbeats show ``count`` nodes alive (they know each other)."""
    async with await Client.connect(daemon.url, daemon.token) as client, asyncio.timeout(30):
        while sum(n["alive"] for n in (await client.call("daemon.info"))["fleet"]["nodes"]) < count:
            await asyncio.sleep(0.2)


async def test_three_nodes_against_one(
    tmp_path: Path, nats_server: NatsServer, stamps: tuple[TestServer, dict[str, float]]
) -> None:
    pytest.importorskip("nats")
    root = tmp_path / "served"
    root.mkdir()
    names = [f"f{i}.bin" for i in range(FILES)]
    for name in names:
        write_file(root / name, SIZE_MIB * MiB)
    server, seen = stamps
    with nginx(root, tmp_path / "nginx", download_rate="1m") as web_server:
        urls = [web_server.url(name, throttled=True) for name in names]

        single = DaemonProcess(tmp_path / "single")
        (tmp_path / "single").mkdir()
        (tmp_path / "single" / "config.toml").write_text(NODE)
        single.start()
        try:
            one = await idmd_download(single, urls, tmp_path / "one", {})
            base = await latencies(single, server, seen, "single")
        finally:
            single.stop()

        nats_server.start()
        shared = tmp_path / "shared"
        shared.mkdir()
        nodes = fleet_homes(tmp_path, nats_server, shared)
        for node in nodes:
            node.start()
        try:
            await all_alive(nodes[0], 3)
            three = await idmd_download(nodes[0], urls, shared, {})
            fleet = await latencies(nodes[0], server, seen, "fleet", other_node_only="n1")
        finally:
            for node in nodes:
                node.stop()
            nats_server.stop()
    for name in names:
        assert (
            (shared / name).stat().st_size
            == (tmp_path / "one" / name).stat().st_size
            == SIZE_MIB * MiB
        )
    print(
        f"\nfleet: {FILES} files of {SIZE_MIB} MiB at 1 MiB/s per connection,"
        " max_active 3 x 4 connections"
    )
    print(f"  1 node:  {one.wall:.2f} s")
    print(
        f"  3 nodes: {three.wall:.2f} s"
        f"  ({three.wall / one.wall:.2f}x the single node; target <= 0.4x)"
    )
    print(f"  jobs.add -> first request, single daemon: {quantiles(base)}")
    print(f"  jobs.add -> first request on another node: {quantiles(fleet)}")
    print(f"  the fleet adds {(p99(fleet) - p99(base)) * 1000:.1f} ms at p99 (target <= 50 ms)")
