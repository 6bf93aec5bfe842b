"""A job whose bytes are all in holds no download slot while its file is synced: with
``max_active = 1`` the next job starts meanwhile (many small files overlap their final
syncs with the next transfers), and the first is completed only once its sync is done."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from idmd.engine.http.partfile import PartFile
from idmd.protocol.events import EventType
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, sha256

DATA = payload(200 * 1024)


async def test_the_next_job_starts_while_the_last_one_syncs(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.file("/first.bin", DATA)
    site.file("/second.bin", DATA)
    await site.start()
    held = threading.Event()
    release = threading.Event()
    real_sync = PartFile.sync

    def held_sync(part: PartFile) -> None:  # runs in a worker thread
        if part.path.name == "first.bin.part":
            held.set()
            release.wait(60)
        real_sync(part)

    monkeypatch.setattr(PartFile, "sync", held_sync)
    h = await make_harness(tmp_path, max_active=1)
    try:
        first = await h.engine.add(site.url("/first.bin"), {})
        second = await h.engine.add(site.url("/second.bin"), {})
        # The second job starts, and even completes, while the first one's sync is held.
        await h.events.status(second["id"], "completed", "failed")
        assert held.is_set()
        assert h.engine.get(second["id"])["status"] == "completed"
        assert h.engine.get(first["id"])["status"] == "downloading"
        assert not (h.downloads / "first.bin").exists()  # no final name before the sync
        release.set()
        await h.events.status(first["id"], "completed", "failed")
        assert h.engine.get(first["id"])["status"] == "completed"
        assert sha256((h.downloads / "first.bin").read_bytes()) == sha256(DATA)
        statuses = [e.data["status"] for e in h.events.of(first["id"], EventType.JOB_STATUS)]
        assert statuses == ["downloading", "completed"]
    finally:
        release.set()
        await close_harness(h)
