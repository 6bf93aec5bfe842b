"""The aria2 face's answer times against aria2c itself, in the same run.

Targets (issue 16): ``aria2.tellActive`` with 1,000 jobs (50 downloading)
answered in at most 10 ms p99; AriaNg's poll (one ``system.multicall`` of
tellActive, tellWaiting(0, 1000), tellStopped(-1, 1000) and getGlobalStat,
with AriaNg's ``keys``) at most 30 ms p99 with 10,000 jobs in the history.
Both daemons get the same load: 10,000 finished downloads, then 1,000 added
against a slow local server with 50 at a time. Times are from a client on one
keep-alive HTTP connection (``POST /jsonrpc``), as AriaNg polls, until the
answer's last byte is read (the client parses it after the clock stops: a
1 MB answer costs the client more than it costs either server). Printed, not
asserted (a shared machine makes timed asserts flaky); run with
``pytest -s tests/bench/test_aria2_bench.py``.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from idmd.store import Store
from tests.bench.runners import start_daemon
from tests.bench.test_rpc_bench import file_server, percentile
from tests.bench.test_store_bench import bench_job

__all__ = ["file_server"]  # the slow server fixture, shared with the fan-out bench

HISTORY, JOBS, ACTIVE, ROUNDS = 10_000, 1_000, 50, 200
SECRET = "bench-secret"
# What AriaNg asks for in its poll (its tellActive/tellWaiting/tellStopped keys).
KEYS = [
    "gid",
    "totalLength",
    "completedLength",
    "uploadSpeed",
    "downloadSpeed",
    "connections",
    "numSeeders",
    "seeder",
    "status",
    "errorCode",
    "verifiedLength",
    "verifyIntegrityPending",
    "files",
    "bittorrent",
    "infoHash",
]


class Rpc:
    def __init__(self, session: aiohttp.ClientSession, port: int, secret: str) -> None:
        self.session, self.url, self.token = (
            session,
            f"http://127.0.0.1:{port}/jsonrpc",
            f"token:{secret}",
        )

    async def call(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": [self.token, *params]}
        async with self.session.post(self.url, data=json.dumps(body)) as response:
            reply = json.loads(await response.read())
        assert "result" in reply, reply
        return reply["result"]

    async def multicall(self, calls: list[tuple[str, list[Any]]]) -> Any:
        return json.loads(
            await self.raw(
                "system.multicall",
                [[{"methodName": m, "params": [self.token, *p]} for m, p in calls]],
            )
        )["result"]

    async def raw(self, method: str, params: list[Any]) -> bytes:
        """The answer's bytes, unparsed: the timings stop when the last byte is read."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        async with self.session.post(self.url, data=json.dumps(body)) as response:
            return await response.read()


async def until(check: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)  # polling a daemon's counters while it works through the load


async def load(rpc: Rpc, base: str, failing: bool) -> None:
    """aria2c gets its history by failing HISTORY downloads; idmd has it in its database already."""
    if failing:
        for start in range(0, HISTORY, 1000):
            await rpc.multicall(
                [
                    ("aria2.addUri", [[f"http://127.0.0.1:9/gone-{n}"]])
                    for n in range(start, start + 1000)
                ]
            )

        async def stopped() -> bool:
            return int((await rpc.call("aria2.getGlobalStat"))["numStoppedTotal"]) >= HISTORY

        await until(stopped, "aria2c's failed downloads")
    for start in range(0, JOBS, 250):
        await rpc.multicall(
            [("aria2.addUri", [[f"{base}/file-{n}.bin"]]) for n in range(start, start + 250)]
        )

    async def active() -> bool:
        return len(await rpc.call("aria2.tellActive", ["gid"])) >= ACTIVE

    await until(active, f"{ACTIVE} active downloads")


async def timings(rpc: Rpc) -> dict[str, list[float]]:
    poll = [
        ("aria2.tellActive", [KEYS]),
        ("aria2.tellWaiting", [0, 1000, KEYS]),
        ("aria2.tellStopped", [-1, 1000, KEYS]),
        ("aria2.getGlobalStat", []),
    ]
    out: dict[str, list[float]] = {"tellActive": [], "AriaNg poll": []}
    calls = [{"methodName": m, "params": [rpc.token, *p]} for m, p in poll]
    for _ in range(ROUNDS):
        started = time.perf_counter()
        active = await rpc.raw("aria2.tellActive", [rpc.token])
        out["tellActive"].append((time.perf_counter() - started) * 1000)
        assert len(json.loads(active)["result"]) == ACTIVE
        started = time.perf_counter()
        answer = await rpc.raw("system.multicall", [calls])
        out["AriaNg poll"].append((time.perf_counter() - started) * 1000)
        result = json.loads(answer)[
            "result"
        ]  # parsed after the clock: the client's work, not the server's
        assert len(result[2][0]) == 1000 and len(result[1][0]) == JOBS - ACTIVE, [
            len(r[0]) for r in result[:3]
        ]
    return out


def fill_history(db: Path) -> None:
    async def fill() -> None:
        store = await Store.open(db)
        rnd = random.Random(16)
        for n in range(HISTORY):
            store.save_job(bench_job(n, rnd))
        await store.close()

    asyncio.run(fill())


def test_aria2_face_against_aria2c(tmp_path: Path, file_server: str) -> None:
    aria2c = shutil.which("aria2c")
    if aria2c is None:
        pytest.skip("aria2c is not installed (CI installs it)")
    home = tmp_path / "idm-home"
    home.mkdir()
    fill_history(home / "idm.db")
    daemon, _ = start_daemon(
        home, f"max_active = {ACTIVE}\nconnections = 1\nmax_connections_per_host = 256\n"
    )
    with socket_port() as port:
        peer = subprocess.Popen(
            [
                aria2c,
                "--enable-rpc",
                f"--rpc-listen-port={port}",
                f"--rpc-secret={SECRET}",
                "--quiet",
                f"--dir={tmp_path / 'aria2c'}",
                f"--max-concurrent-downloads={ACTIVE}",
                "--split=1",
                "--max-connection-per-server=1",
                f"--max-download-result={HISTORY + JOBS}",
                "--max-tries=1",
                "--file-allocation=none",
                "--no-conf",
            ],
            stdin=subprocess.DEVNULL,
        )
    results: dict[str, dict[str, list[float]]] = {}

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            for name, rpc, failing in (
                ("idmd", Rpc(session, daemon.port, daemon.token), False),
                ("aria2c", Rpc(session, port, SECRET), True),
            ):
                await until(lambda rpc=rpc: _answers(rpc), f"{name} to answer", 20)
                await load(rpc, file_server, failing)
                results[name] = await timings(rpc)

    try:
        asyncio.run(run())
    finally:
        peer.terminate()
        peer.wait(10)
        daemon.stop()
    print(
        f"\n{HISTORY:,} finished jobs, {JOBS:,} added, {ACTIVE} active; {ROUNDS} rounds;"
        " milliseconds"
    )
    print(
        f"{'':14}{'idmd p50':>10}{'idmd p99':>10}"
        f"{'aria2c p50':>12}{'aria2c p99':>12}{'p99 ratio':>11}"
    )
    for what in ("tellActive", "AriaNg poll"):
        ours, theirs = results["idmd"][what], results["aria2c"][what]
        print(
            f"{what:14}{statistics.median(ours):10.2f}{percentile(ours, 0.99):10.2f}"
            f"{statistics.median(theirs):12.2f}{percentile(theirs, 0.99):12.2f}"
            f"{percentile(ours, 0.99) / percentile(theirs, 0.99):11.2f}"
        )


async def _answers(rpc: Rpc) -> bool:
    try:
        await rpc.call("aria2.getVersion")
        return True
    except (aiohttp.ClientError, AssertionError):
        return False


class socket_port:
    """A free loopback port (aria2c cannot listen on port 0): bound, read, released."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None
