"""``jobs.import`` on the engine and a real SQLite file: all checked first, stored in one
transaction, ids kept, finished jobs as history and unfinished ones queued or paused."""

from __future__ import annotations

import pytest

from idmd.protocol.errors import InvalidParams
from tests.engine.conftest import Harness

FINISHED = {
    "id": "0123456789ab",
    "url": "http://127.0.0.1:9/a.bin",
    "status": "completed",
    "filename": "a.bin",
    "size": 10,
    "created_at": "2026-01-02T03:04:05Z",
    "finished_at": "2026-01-02T03:05:00Z",
}


async def test_one_bad_entry_imports_nothing(harness: Harness) -> None:
    entries = [
        FINISHED,
        {"url": "http://127.0.0.1:9/b", "status": "paused"},
        {"url": "http://127.0.0.1:9/c", "options": {"connections": 99}},
    ]
    with pytest.raises(InvalidParams, match=r"jobs\[2\]\.options\.connections"):
        await harness.engine.import_jobs(entries)
    assert (await harness.engine.list())["total"] == 0
    assert harness.engine.held() == 0


async def test_finished_jobs_become_history_and_unfinished_ones_wait(harness: Harness) -> None:
    entries = [
        FINISHED,
        {"url": "http://127.0.0.1:9/b", "status": "paused", "options": {"priority": 2}},
        {"url": "http://127.0.0.1:9/c", "status": "downloading", "done": 500},
    ]
    counts = await harness.engine.import_jobs(entries)
    assert counts == {"imported": 3, "queued": 1, "paused": 1, "history": 1, "skipped": 0}
    history = await harness.engine.fetch(FINISHED["id"])
    assert history["status"] == "completed" and history["done"] == 10 and history["path"] is None
    assert history["finished_at"] == FINISHED["finished_at"]
    jobs = {j["url"]: j for j in (await harness.engine.list())["jobs"]}
    assert jobs["http://127.0.0.1:9/b"]["status"] == "paused"
    assert jobs["http://127.0.0.1:9/b"]["options"]["priority"] == 2
    assert jobs["http://127.0.0.1:9/c"]["done"] == 0  # its bytes are on the other machine
    again = await harness.engine.import_jobs([FINISHED])
    assert again["skipped"] == 1 and again["imported"] == 0
