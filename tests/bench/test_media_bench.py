"""Benchmark: short and long clips from a server that caps each connection.

A progressive MP4 behind an HTML page on 127.0.0.1, each connection capped
at 512 KiB/s. Plain ``yt-dlp URL`` against ``idm add --mode media -w -c 8 URL``
on a running daemon, as a user types them, interleaved in the same run; then
the time from ``jobs.add`` to the first byte of the media file leaving the
server (measured on the server, so the client's own start-up is not in it).
Targets: 19 MiB at least 6x, 3.6 MiB at least 3x, first byte at most 1.5 s.
Figures are printed, not asserted (a shared machine makes timed asserts
flaky); every file is checked. ``IDM_BENCH_ROUNDS`` (default 3) runs each.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import time
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from idmd.client import Client
from tests.bench.runners import Result, run_tool, start_daemon, tool, write_file
from tests.daemon_process import DaemonProcess
from tests.media.media_server import MediaServer

RATE = 512 * 1024  # bytes per second per connection
CONNECTIONS = 8
ROUNDS = int(os.environ.get("IDM_BENCH_ROUNDS", "3"))
CLIPS = {"long": int(19.2 * 2**20), "short": int(3.6 * 2**20)}
TARGETS = {"long": 6.0, "short": 3.0}
FIRST_BYTE_TARGET = 1.5  # seconds from jobs.add


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    root = tmp_path_factory.mktemp("bench-media")
    for name, size in CLIPS.items():
        write_file(root / f"{name}.mp4", size)  # yt-dlp does not look inside a direct file
        (root / f"{name}.html").write_text(
            f"<html><head><title>{name} clip</title></head>"
            f'<body><video src="/slow/{name}.mp4"></video></body></html>'
        )
    server = MediaServer(root, rate=RATE).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    running, _ = start_daemon(tmp_path_factory.mktemp("idm-home"))
    yield running
    running.stop()


def installed(name: str) -> str:
    """The console script beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else tool(name)


def yt_dlp(url: str, folder: Path) -> Result:
    return run_tool(
        [installed("yt-dlp"), "--quiet", "--no-progress", "-o", "%(title)s.%(ext)s", url], folder
    )


def idm_add(daemon: DaemonProcess, url: str, folder: Path) -> Result:
    argv = [
        installed("idm"),
        "add",
        "--mode",
        "media",
        "-w",
        "-c",
        str(CONNECTIONS),
        "-d",
        str(folder),
        url,
    ]
    return run_tool(argv, folder, env={**os.environ, "IDM_HOME": str(daemon.home)})


async def first_byte(
    daemon: DaemonProcess, server: MediaServer, url: str, media_path: str, folder: Path
) -> float:
    """Seconds from calling jobs.add to the server starting the media body; waits for the job."""
    client = await Client.connect(daemon.url, daemon.token)
    try:
        events = cast(AsyncGenerator[dict[str, Any], None], client.subscribe(types=["job.status"]))
        await anext(events)  # the snapshot: subscribed before the job exists
        server.bodies.clear()
        options = {"mode": "media", "connections": CONNECTIONS, "dir": str(folder)}
        started = time.perf_counter()
        job = await client.call("jobs.add", {"url": url, "options": options})
        async with asyncio.timeout(600):
            async for event in events:
                if event.get("job") == job["id"] and event["data"].get("status") in (
                    "completed",
                    "failed",
                ):
                    assert event["data"]["status"] == "completed", event["data"]
                    break
        await events.aclose()
    finally:
        await client.close()
    return min(t for t, path in server.bodies if path == media_path) - started


def check(folder: Path, expected: bytes) -> None:
    assert [p.read_bytes() == expected for p in folder.iterdir()] == [True], sorted(
        os.listdir(folder)
    )


async def test_media_jobs_against_plain_yt_dlp(
    capped: MediaServer, daemon: DaemonProcess, tmp_path: Path
) -> None:
    walls: dict[tuple[str, str], list[float]] = {}
    firsts: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for name in CLIPS:
            url, expected = capped.url(f"{name}.html"), (capped.root / f"{name}.mp4").read_bytes()
            for who, run in (("yt-dlp", yt_dlp), ("idm", lambda u, f: idm_add(daemon, u, f))):
                folder = tmp_path / who / name
                folder.mkdir(parents=True)
                result = await asyncio.to_thread(run, url, folder)
                check(folder, expected)
                shutil.rmtree(folder)
                walls.setdefault((name, who), []).append(result.wall)
            folder = tmp_path / "first" / name
            folder.mkdir(parents=True)
            firsts.setdefault(name, []).append(
                await first_byte(daemon, capped, url, f"/slow/{name}.mp4", folder)
            )
            check(folder, expected)
            shutil.rmtree(folder)
    print(
        f"\nmedia bench: server cap {RATE // 1024} KiB/s per connection, median of {ROUNDS}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for name, size in CLIPS.items():
        yt, idm = statistics.median(walls[name, "yt-dlp"]), statistics.median(walls[name, "idm"])
        print(
            f"  {size / 2**20:5.1f} MiB: yt-dlp {yt:5.1f} s, "
            f"idm add -w -c {CONNECTIONS} {idm:5.1f} s, "
            f"{yt / idm:4.1f}x (target {TARGETS[name]:g}x); jobs.add -> first media byte "
            f"{statistics.median(firsts[name]):.2f} s (target {FIRST_BYTE_TARGET:g} s)"
        )
        print(
            f"      runs: yt-dlp {fmt(walls[name, 'yt-dlp'])}  idm {fmt(walls[name, 'idm'])}  "
            f"first byte {fmt(firsts[name])}"
        )


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)
