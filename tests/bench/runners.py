"""Run one download with each tool and measure wall and CPU time.

External tools run as child processes (CPU from their rusage); idmd runs as a
real daemon (tests/daemon_process.py) driven through ``idmd.client``, its CPU
read from /proc before and after, so the figures compare like with like.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from idmd.client import Client
from tests.daemon_process import DaemonProcess

TICKS = os.sysconf("SC_CLK_TCK")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Result:
    wall: float  # seconds
    cpu: float  # user + system seconds of the downloader


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (CI installs it)")
    return path


def run_tool(argv: list[str], cwd: Path, timeout: float = 1800, env: dict[str, str] | None = None) -> Result:
    """Run a downloader to completion; fails the benchmark if it fails or hangs."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty tool cannot block
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, env=env
        )
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            # wait4 gives this child's own rusage, not the sum of every child so far.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace")
            raise AssertionError(f"{argv[0]} failed ({process.returncode}): {text[-2000:]}")
    return Result(wall, usage.ru_utime + usage.ru_stime)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def start_daemon(home: Path, config: str = "") -> tuple[DaemonProcess, float]:
    """A real idmd and the seconds from exec to READY (it listens by then)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(config)
    started = time.perf_counter()
    daemon = DaemonProcess(home).start()
    return daemon, time.perf_counter() - started


async def idmd_download(
    daemon: DaemonProcess,
    urls: list[str],
    folder: Path,
    options: dict[str, Any],
    timeout: float = 1800,
) -> Result:
    """Add every URL at once (jobs.add_many) and wait until all are completed."""
    assert daemon.proc is not None
    folder.mkdir(parents=True, exist_ok=True)
    client = await Client.connect(daemon.url, daemon.token)
    try:
        # subscribe() is an async generator; typed as an iterator by the client.
        events = cast(AsyncGenerator[dict[str, Any], None], client.subscribe(types=["job.status"]))
        snapshot = await anext(events)  # subscribed: no status change can be missed now
        assert snapshot["type"] == "snapshot"
        cpu = cpu_seconds(daemon.proc.pid)
        started = time.perf_counter()
        items = [{"url": url, "options": {"dir": str(folder), **options}} for url in urls]
        jobs = await client.call("jobs.add_many", {"items": items})
        errors = [job["error"] for job in jobs if "id" not in job]
        assert not errors, errors[:3]
        pending = {job["id"] for job in jobs if job.get("status") != "completed"}
        async with asyncio.timeout(timeout):
            async for event in events:
                status = event["data"].get("status")
                if event.get("job") in pending and status == "completed":
                    pending.discard(event["job"])
                elif event.get("job") in pending and status in ("failed", "cancelled"):
                    raise AssertionError(f"idmd job {event['job']} {status}: {event['data']}")
                if not pending:
                    break
        wall = time.perf_counter() - started
        await events.aclose()
        return Result(wall, cpu_seconds(daemon.proc.pid) - cpu)
    finally:
        await client.close()


def write_file(path: Path, size: int) -> None:
    """``size`` bytes that do not compress or dedupe trivially, written in 1 MiB blocks."""
    block = bytearray(os.urandom(MiB))
    with path.open("wb") as out:
        for index in range(size // MiB):
            block[:8] = index.to_bytes(8, "little")  # no two blocks alike
            out.write(block)
        out.write(os.urandom(size % MiB))
