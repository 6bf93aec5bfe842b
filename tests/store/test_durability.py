"""Writes stay off the event loop, and what flush() confirmed survives a crash."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from idmd.store import Store
from tests.store.conftest import make_job


async def test_a_blocked_write_does_not_block_the_event_loop(db_path: Path) -> None:
    store = await Store.open(db_path, busy_timeout=60)  # the writer waits, it does not give up
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the writer thread now waits for this lock
    try:
        store.save_job(make_job(1))  # returns at once although it cannot be written yet
        flushing = asyncio.ensure_future(store.flush())
        ticks = 0
        while ticks < 20:  # another task keeps running meanwhile
            await asyncio.sleep(0.005)
            ticks += 1
        assert not flushing.done()
    finally:
        other.execute("ROLLBACK")
        other.close()
    await asyncio.wait_for(flushing, 5)
    assert await store.get_job("job00001") is not None
    await store.close()


async def test_flushed_writes_survive_sigkill(tmp_path: Path, db_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from pathlib import Path
        from idmd.store import Store
        sys.path.insert(0, {str(Path(__file__).parents[2])!r})
        from tests.store.conftest import make_job

        async def main():
            store = await Store.open(Path({str(db_path)!r}))
            for n in range(200):
                store.save_job(make_job(n, status="downloading", finished_at=None))
            store.checkpoint("job00007", 700, [[0, 1000, 700]], {{"http": {{"etag": "e"}}}})
            await store.flush()
            print("flushed", flush=True)
            await asyncio.sleep(3600)  # killed here, never closed

        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.strip() == b"flushed"
    finally:
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 10)

    store = await Store.open(db_path)
    unfinished = await store.load_unfinished()
    await store.close()
    assert len(unfinished) == 200
    job = next(job for job in unfinished if job["id"] == "job00007")
    assert job["done"] == 700
    assert job["segments"] == [[0, 1000, 700]]
    assert job["state"] == {"http": {"etag": "e"}}
