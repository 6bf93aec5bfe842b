"""SIGKILL a real idmd during several downloads: after a restart each completes, right bytes,
and only the last second or so before the kill is fetched twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.engine.servers import Site, payload, sha256

SIZE = 12 * 1024 * 1024
# 64 KiB per 80 ms: about 0.8 MiB/s per connection, so each job takes a few seconds and the
# kill at 60% lands after the first checkpoints (once a second): what is fetched twice is then
# the last second or so, not a download that had no checkpoint yet.
PACE = 0.08


async def wait_until(check, timeout: float = 60.0, every: float = 0.05):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(every)
        return result


async def test_sigkill_during_downloads_then_restart_completes_everything(
    idm_home: Path, site: Site
) -> None:
    files = {f"/kill{i}.bin": payload(SIZE, seed=10 + i) for i in range(3)}
    for path, data in files.items():
        site.file(path, data, pace=PACE)
    await site.start()
    daemon = DaemonProcess(idm_home).start()
    try:
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)
        ids = {}
        for path in files:
            job = await client.call(
                "jobs.add", {"url": site.url(path), "options": {"connections": 4}}
            )
            ids[path] = job["id"]

        async def far_enough() -> bool:
            jobs = [await client.call("jobs.get", {"id": i}) for i in ids.values()]
            return all(j["done"] >= SIZE * 0.6 for j in jobs)

        began = time.monotonic()
        await wait_until(far_enough)
        elapsed = time.monotonic() - began
        sent_before = sum(site.served.values())
        daemon.kill()
        await client.close()
        speed = sent_before / elapsed  # all jobs together, bytes per second

        daemon.start()
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)

        async def all_finished() -> list[dict]:
            jobs = [await client.call("jobs.get", {"id": i}) for i in ids.values()]
            return jobs if all(j["status"] in ("completed", "failed") for j in jobs) else []

        jobs = await wait_until(all_finished)
        await client.close()
        assert [j["status"] for j in jobs] == ["completed"] * 3, [j["error"] for j in jobs]
        for path, data in files.items():
            assert sha256((daemon.download_dir / path.lstrip("/")).read_bytes()) == sha256(data)
        assert not list(daemon.download_dir.glob("*.part"))
        refetched = sum(site.served.values()) - SIZE * len(files)
        print(f"refetched {refetched} bytes = {refetched / speed:.2f} s at {speed / 1e6:.1f} MB/s")
        # Checkpoints come about once a second and lag the disk: allow three seconds' worth.
        assert refetched <= 3 * speed, (refetched, speed)
        assert refetched < SIZE * len(files) * 0.5
    finally:
        daemon.kill()


async def test_sigterm_stops_within_two_seconds_and_the_next_start_resumes(
    idm_home: Path, site: Site
) -> None:
    files = {f"/term{i}.bin": payload(SIZE, seed=20 + i) for i in range(2)}
    for path, data in files.items():
        site.file(path, data, pace=PACE)
    await site.start()
    daemon = DaemonProcess(idm_home).start()
    try:
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)
        ids = [(await client.call("jobs.add", {"url": site.url(p)}))["id"] for p in files]

        async def started() -> bool:
            jobs = [await client.call("jobs.get", {"id": i}) for i in ids]
            return all(j["done"] >= SIZE * 0.2 for j in jobs)

        await wait_until(started)
        await client.close()
        began = time.monotonic()
        assert daemon.stop(timeout=10) == 0
        assert time.monotonic() - began < 2.0
        served_at_stop = sum(site.served.values())

        daemon.start()
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)

        async def finished() -> list[dict]:
            jobs = [await client.call("jobs.get", {"id": i}) for i in ids]
            return jobs if all(j["status"] in ("completed", "failed") for j in jobs) else []

        jobs = await wait_until(finished)
        await client.close()
        assert [j["status"] for j in jobs] == ["completed"] * 2
        for path, data in files.items():
            assert sha256((daemon.download_dir / path.lstrip("/")).read_bytes()) == sha256(data)
        # A graceful stop checkpoints everything: the restart fetches only what was missing.
        refetched = sum(site.served.values()) - SIZE * len(files)
        assert refetched <= served_at_stop * 0.1, (refetched, served_at_stop)
    finally:
        daemon.kill()


async def test_a_job_is_kept_by_a_crash_the_moment_after_jobs_add_answered(
    idm_home: Path, site: Site
) -> None:
    data = payload(4 * 1024 * 1024, seed=40)
    site.file("/fresh.bin", data, pace=PACE)
    await site.start()
    daemon = DaemonProcess(idm_home).start()
    try:
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)
        one = await client.call("jobs.add", {"url": site.url("/fresh.bin")})
        many = await client.call(
            "jobs.add_many", {"items": [{"url": site.url("/fresh.bin"), "options": {}}]}
        )
        daemon.kill()  # at once: the answers said the jobs were taken
        await client.close()

        daemon.start()
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)
        for job in (one, many[0]):
            kept = await client.call("jobs.get", {"id": job["id"]})
            assert kept["url"] == site.url("/fresh.bin")
        await client.close()
    finally:
        daemon.kill()
