"""A job saved at each of its changes within moments (a small download: started, named,
checkpointed, completed) reaches SQLite as one write of its last state, and nothing of
what a reader or a flush expects is lost or reordered on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from idmd.store import Store
from tests.store.conftest import make_job


def _writes(store: Store) -> list[object]:
    """The writes the store hands its writer thread from now on (each one a transaction's
    statements, run while the event loop and the writer take turns with the GIL)."""
    handed: list[object] = []
    writer = store._writer  # (the hand-over is what this test is about)
    put = writer.put

    def counting(item: Any) -> None:
        if callable(item):
            handed.append(item)
        put(item)

    writer.put = counting  # type: ignore[method-assign]
    return handed


async def test_a_small_download_s_saves_are_one_write_of_its_last_state(db_path: Path) -> None:
    store = await Store.open(db_path)
    try:
        writes = _writes(store)
        store.save_job(make_job(1, status="downloading", done=0, finished_at=None))
        store.save_job(make_job(1, status="downloading", done=0, filename="a.bin"))
        store.checkpoint("job00001", 10, [[0, 1000, 10]], {"http": {"etag": "e"}})
        store.save_job(make_job(1, status="completed", filename="a.bin"))
        await store.flush()
        assert len(writes) == 1
        stored = await store.get_job("job00001")
        assert stored is not None
        assert (stored["status"], stored["filename"], stored["done"]) == (
            "completed",
            "a.bin",
            1001,
        )
        assert stored["segments"] == [[0, 1000, 10]] and stored["state"] == {"http": {"etag": "e"}}
    finally:
        await store.close()


async def test_a_later_save_without_an_optional_field_drops_it(store: Store) -> None:
    store.save_job(make_job(1, status="failed", retry_at="2026-12-03T10:00:00Z"))
    store.save_job(make_job(1, status="queued"))  # retried by hand: no retry_at any more
    stored = await store.get_job("job00001")
    assert stored is not None and "retry_at" not in stored


async def test_a_checkpoint_after_the_held_save_s_release_is_its_own_write(store: Store) -> None:
    store.save_job(make_job(1, status="downloading", done=0, finished_at=None))
    await store.flush()
    store.checkpoint("job00001", 500, [[0, 1000, 500]], {"http": {"n": 1}})
    stored = await store.get_job("job00001")
    assert stored is not None and stored["done"] == 500 and stored["segments"] == [[0, 1000, 500]]


async def test_a_removed_job_does_not_come_back_from_a_held_save(store: Store) -> None:
    store.save_job(make_job(1, status="downloading", finished_at=None))
    await store.delete_jobs(["job00001"])
    await store.flush()
    assert await store.get_job("job00001") is None


async def test_held_saves_are_written_by_close(db_path: Path) -> None:
    store = await Store.open(db_path)
    store.save_job(make_job(1))
    await store.close()
    store = await Store.open(db_path)
    try:
        assert await store.get_job("job00001") is not None
    finally:
        await store.close()
