"""History store benchmark: listing, searching and paging 100,000 finished jobs.

Prints median and p99 wall time (and process CPU time, which a busy machine
inflates less) per query; the target is well under 50 ms each. Run with
``make bench`` or ``pytest -s tests/bench/test_store_bench.py``.
IDM_BENCH_JOBS changes the number of jobs (default 100,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from idmd.store import Store

JOBS = int(os.environ.get("IDM_BENCH_JOBS", "100000"))
ROUNDS = 60
TARGET_MS = 50.0
WORDS = [
    "ubuntu",
    "debian",
    "fedora",
    "arch",
    "video",
    "movie",
    "trailer",
    "lecture",
    "podcast",
    "album",
    "photo",
    "backup",
    "report",
    "invoice",
    "dataset",
    "model",
    "archive",
    "driver",
    "firmware",
    "setup",
    "installer",
    "manual",
    "slides",
    "thesis",
    "paper",
    "game",
    "patch",
    "update",
    "release",
    "nightly",
    "source",
    "binary",
    "docs",
]
EXTENSIONS = ("iso", "zip", "mp4", "mkv", "pdf", "tar.gz", "exe", "deb", "mp3", "flac")


def bench_job(n: int, rnd: random.Random) -> dict[str, Any]:
    a, b = rnd.choice(WORDS), rnd.choice(WORDS)
    ext = rnd.choice(EXTENSIONS)
    host = f"{rnd.choice(WORDS)}{n % 97}.example.org"
    status = "completed" if rnd.random() < 0.85 else rnd.choice(("failed", "cancelled"))
    second = n * 37  # spread over about a month, not in insertion order
    day, rest = divmod(second % (30 * 86400), 86400)
    stamp = (
        f"2026-10-{day + 1:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
        f".{n % 1000:03d}Z"
    )
    return {
        "id": f"{n:08x}{rnd.getrandbits(32):08x}",
        "url": f"https://{host}/pub/{a}/{b}-{n}.{ext}",
        "kind": "http",
        "status": status,
        "filename": f"{a.title()} {b} {n}.{ext}",
        "path": f"/home/user/Downloads/{a.title()} {b} {n}.{ext}",
        "size": rnd.randrange(1, 4 << 30),
        "done": 0,
        "connections": 8,
        "error": {"code": "http_404", "message": "404 Not Found"} if status == "failed" else None,
        "created_at": stamp,
        "started_at": stamp,
        "finished_at": stamp.replace("2026-10", "2026-11"),
        "options": {"connections": 8},
        "media": None,
    }


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with JOBS finished jobs, written through Store.save_job as idmd does."""
    path = tmp_path_factory.mktemp("store-bench") / "idm.db"

    async def fill() -> None:
        store = await Store.open(path)
        rnd = random.Random(2026)
        started = time.perf_counter()
        for n in range(JOBS):
            store.save_job(bench_job(n, rnd))
        await store.flush()
        elapsed = time.perf_counter() - started
        await store.close()
        print(
            f"\nwrote {JOBS} jobs through save_job in {elapsed:.1f} s"
            f" ({JOBS / elapsed:,.0f} jobs/s)"
        )

    asyncio.run(fill())
    return path


async def measure(
    call: Callable[[], Awaitable[dict[str, Any]]],
) -> tuple[list[float], list[float], dict]:
    await call()  # warm the page cache once, as a daemon that has been running has
    walls: list[float] = []
    cpus: list[float] = []
    result: dict[str, Any] = {}
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = await call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus, result


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, round(0.99 * (len(values) - 1)))]


async def test_store_listing_speed(history: Path) -> None:
    store = await Store.open(history)

    async def deep_page() -> dict[str, Any]:
        # Ten pages of 100 in a row: the cursor keeps each page an index seek.
        page = await store.list_jobs(None, None, 100, None, "-created_at")
        for _ in range(9):
            page = await store.list_jobs(None, None, 100, page["cursor"], "-created_at")
        return page

    cases: list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = [
        ("newest 100", lambda: store.list_jobs(None, None, 100, None, "-created_at")),
        ("by name, 100", lambda: store.list_jobs(None, None, 100, None, "filename")),
        ("last finished 100", lambda: store.list_jobs(None, None, 100, None, "-finished_at")),
        ("failed", lambda: store.list_jobs(["failed"], None, 100, None, "-finished_at")),
        (
            "failed+cancelled",
            lambda: store.list_jobs(["failed", "cancelled"], None, 100, None, "-created_at"),
        ),
        ("search 'ubuntu'", lambda: store.list_jobs(None, "ubuntu", 100, None, "-created_at")),
        (
            "search 'ubuntu iso'",
            lambda: store.list_jobs(None, "ubuntu iso", 100, None, "-created_at"),
        ),
        (
            "search one job '12345.'",
            lambda: store.list_jobs(None, "12345.", 100, None, "-created_at"),
        ),
        (
            "search all 'example'",
            lambda: store.list_jobs(None, "example", 100, None, "-created_at"),
        ),
        ("search 2 chars 'mp'", lambda: store.list_jobs(None, "mp", 100, None, "-created_at")),
        (
            "search failed 'video'",
            lambda: store.list_jobs(["failed"], "video", 100, None, "filename"),
        ),
        ("search nothing 'zzzz'", lambda: store.list_jobs(None, "zzzz", 100, None, "-created_at")),
        ("10 pages (per page)", deep_page),
    ]
    rows = []
    worst = 0.0
    for name, call in cases:
        walls, cpus, result = await measure(call)
        if name.startswith("10 pages"):
            walls = [w / 10 for w in walls]
            cpus = [c / 10 for c in cpus]
        else:
            assert len(result["jobs"]) == min(100, result["total"])
        worst = max(worst, statistics.median(walls))
        rows.append(
            (name, result["total"], statistics.median(walls), p99(walls), statistics.median(cpus))
        )
    await store.close()

    print(
        f"\nhistory of {JOBS:,} jobs, {ROUNDS} rounds each"
        f" (ms; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"{'query':26} {'matches':>8} {'median':>8} {'p99':>8} {'cpu med':>8}")
    for name, total, median, tail, cpu in rows:
        print(f"{name:26} {total:8,} {median:8.2f} {tail:8.2f} {cpu:8.2f}")
    print(
        f"worst median {worst:.1f} ms: {'within' if worst < TARGET_MS else 'OVER'}"
        f" the {TARGET_MS:.0f} ms target"
    )
