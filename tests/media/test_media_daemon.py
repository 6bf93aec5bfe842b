"""Media through the real daemon process, and the promise that it never imports yt_dlp.

yt-dlp belongs in the worker: its import weight, hangs and crashes must
never reach the daemon (docs/architecture.md, Media).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from idmd.client import Client
from idmd.engine.media.process import WorkerProcess, WorkerStalled
from tests.daemon_process import DaemonProcess
from tests.media.helpers import video_height, worker_pids
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media
ROOT = Path(__file__).resolve().parents[2]

ENGINE_RUN = """
import asyncio, json, sys
from pathlib import Path
import idmd.app, idmd.daemon
from idmd.config import Config
from idmd.engine import Engine
from idmd.events import EventBus
from idmd.protocol.events import EventType
from idmd.store import Store

async def main(url: str, tmp: str) -> None:
    store = await Store.open(Path(tmp) / "idm.db")
    bus = EventBus()
    finished = asyncio.Event()
    bus.listen(lambda e: e.type == EventType.JOB_STATUS
               and e.data["status"] in ("completed", "failed") and finished.set())
    engine = Engine(Config(), Path(tmp) / "downloads", store, bus)
    await engine.start()
    probe = await engine.probe(url, {})
    job = await engine.add(url, {"quality": "360p"})
    await asyncio.wait_for(finished.wait(), 120)
    status = engine.get(job["id"])["status"]
    await engine.stop()
    await store.close()
    print(json.dumps({"kind": probe["kind"], "status": status, "yt_dlp": "yt_dlp" in sys.modules}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_the_engine_runs_media_jobs_without_importing_yt_dlp(
    server: MediaServer, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ENGINE_RUN, server.url("hls.html"), str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"kind": "media", "status": "completed", "yt_dlp": False}


async def test_a_silent_worker_is_killed_after_the_stall_timeout(
    server: MediaServer, tmp_path: Path
) -> None:
    request = {
        "mode": "download",
        "url": server.url("hold/hls/master.m3u8"),
        "format": "b[height<=?360]",
        "dir": str(tmp_path),
        "temp_dir": str(tmp_path),
        "outtmpl": "media.%(ext)s",
        "socket_timeout": 120,  # yt-dlp itself would wait: only the stall timeout acts
    }
    worker = WorkerProcess(request, stall_timeout=120)
    await worker.start()
    with pytest.raises(WorkerStalled):
        async for message in worker.messages():
            if message["type"] == "progress":
                worker.stall_timeout = 1.0  # from now on, a second of silence is a stall
    assert worker.outcome.returncode is not None  # the process is gone


async def wait_status(client: Client, job_id: str, *statuses: str) -> dict[str, Any]:
    async for item in client.subscribe(since=0, jobs=[job_id]):
        if item.get("type") == "job.status" and item["data"]["status"] in statuses:
            return dict(await client.call("jobs.get", {"id": job_id}))
    raise AssertionError("the subscription ended")


async def test_probe_and_download_through_the_daemon(
    server: MediaServer, daemon: DaemonProcess
) -> None:
    client = await Client.connect(daemon.url, daemon.token, codec="json")
    try:
        info = await client.call("daemon.info")
        assert info["ffmpeg"]
        probe = await client.call("jobs.probe", {"url": server.url("hls.html"), "options": {}})
        assert probe["kind"] == "media" and {"360p", "720p"} <= set(probe["qualities"])
        job = await client.call(
            "jobs.add", {"url": server.url("f/hls/master.m3u8"), "options": {"quality": "360p"}}
        )
        done = await asyncio.wait_for(wait_status(client, job["id"], "completed", "failed"), 120)
    finally:
        await client.close()
    assert done["status"] == "completed", done["error"]
    assert done["kind"] == "media" and Path(done["path"]).parent == daemon.download_dir / "Video"
    assert done["category"] == "Video"  # its category's folder, decided from yt-dlp's format
    assert video_height(Path(done["path"])) == 360


async def until(condition: Any, timeout: float = 30.0) -> None:
    """Waits until ``condition()`` holds (a process appearing or going away)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_the_daemon_keeps_one_warm_worker_and_takes_it_along_when_it_stops(
    server: MediaServer, daemon: DaemonProcess
) -> None:
    assert daemon.proc is not None
    parent = daemon.proc.pid
    await until(lambda: len(worker_pids(parent)) == 1)  # the spare, started once the daemon is up
    (spare,) = worker_pids(parent)
    client = await Client.connect(daemon.url, daemon.token, codec="json")
    try:
        for page in ("page.html", "hls.html"):
            probe = await client.call(
                "jobs.probe", {"url": server.url(page), "options": {"mode": "media"}}
            )
            assert probe["kind"] == "media"
    finally:
        await client.close()
    assert worker_pids(parent) == [spare]  # both probes were answered by the warm one
    assert daemon.stop() == 0
    await until(lambda: not Path(f"/proc/{spare}").exists())
