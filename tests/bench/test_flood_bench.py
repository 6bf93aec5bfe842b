"""One client sends the worst it can; how long does another client wait?

A real daemon holds 1,000 paused jobs. Client A sends 100-request batches back
to back, waiting for each reply (of `session.ping`, of `daemon.info`, of
`jobs.list {limit: 1000}`: the heaviest read there is). Client B meanwhile
calls `session.ping` every 10 ms and records each round trip. Prints B's
median, p99 and max for each flood, beside B's figures with no flood in the
same run (issue 11: other clients' p99 under 50 ms). The flooding client runs
in a process of its own: decoding its 4 MiB replies would otherwise stall the
measuring client's event loop and be counted as the daemon's. Figures, not
asserts.
``IDM_BENCH_FLOOD_SECONDS`` sets how long each flood lasts (default 8).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from pathlib import Path
from typing import Any

from tests.daemon_process import DaemonProcess
from tests.rpc.wsutil import RawPeer, connect

SECONDS = float(os.environ.get("IDM_BENCH_FLOOD_SECONDS", "8"))
JOBS = 1000
BATCH = 100
FLOODS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "session.ping": ("session.ping", None),
    "daemon.info": ("daemon.info", None),
    "jobs.list 1000": ("jobs.list", {"limit": 1000}),
}


async def flood(
    url: str, token: str, method: str, params: dict[str, Any] | None, seconds: float
) -> int:
    """Batches back to back for ``seconds``; how many were answered."""
    peer = await connect(url, token=token, max_msg_size=8 << 20)
    sent = 0
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            batch: list[dict[str, Any]] = []
            for _ in range(BATCH):
                request: dict[str, Any] = {"jsonrpc": "2.0", "id": next(peer.ids), "method": method}
                if params is not None:
                    request["params"] = params
                batch.append(request)
            await peer.send(batch)
            await peer.recv(timeout=120)
            sent += 1
    finally:
        await peer.close()
    return sent


def flood_process(url: str, token: str, method: str, params: Any, seconds: float, out: Any) -> None:
    out.put(asyncio.run(flood(url, token, method, params, seconds)))


async def pings(peer: RawPeer, seconds: float) -> list[float]:
    """Round trips (ms) of a ping every 10 ms."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        reply = await peer.call("session.ping", timeout=60)
        assert "result" in reply, reply
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.01)  # the pace of the probe itself, not a wait for an event
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"median {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms   "
        f"max {ordered[-1]:7.1f} ms   ({len(ordered)} pings)"
    )


async def test_another_client_waits_little_while_one_floods(idm_home: Path) -> None:
    daemon = DaemonProcess(idm_home).start()
    flooder = prober = None
    try:
        flooder = await connect(daemon.url, token=daemon.token, max_msg_size=8 << 20)
        prober = await connect(daemon.url, token=daemon.token)
        items = [
            {"url": f"http://127.0.0.1:9/f{i}.bin", "options": {"start": "paused"}}
            for i in range(JOBS)
        ]
        added = await flooder.call("jobs.add_many", {"items": items}, timeout=120)
        assert len(added["result"]) == JOBS
        print(f"\nanother client's session.ping every 10 ms, {SECONDS:g} s each, {JOBS} jobs held")
        print(f"  {'no flood':<16} {summary(await pings(prober, SECONDS))}")
        for name, (method, params) in FLOODS.items():
            spawn = multiprocessing.get_context("spawn")
            out = spawn.Queue()
            worker = spawn.Process(
                target=flood_process, args=(daemon.url, daemon.token, method, params, SECONDS, out)
            )
            worker.start()
            times = await pings(prober, SECONDS)
            batches = await asyncio.to_thread(out.get, True, 180)
            worker.join(30)
            print(f"  {name:<16} {summary(times)}   flood: {batches} batches of {BATCH}")
    finally:
        for peer in (flooder, prober):
            if peer is not None:
                await peer.close()
        daemon.kill()
