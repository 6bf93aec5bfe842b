"""Jobs, checkpoints and deletions come back as they were written, across a reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from idmd.store import Store
from tests.store.conftest import make_job


async def test_job_round_trips_through_a_reopen(db_path: Path) -> None:
    job = make_job(
        1,
        filename="Ünïcode “report” 2026.pdf",
        error={"code": "http_404", "message": "Not Found"},
        media={"title": "T", "format": "18", "quality": "360p", "thumbnail": None},
        options={"connections": 4, "headers": {"X-A": "1"}, "checksum": "sha256=ab"},
        playlist={"title": "P", "index": 2, "count": 5},
        status="failed",
        finished_at=None,
        size=None,
    )
    store = await Store.open(db_path)
    store.save_job(job)
    await store.close()

    store = await Store.open(db_path)
    loaded = await store.get_job(job["id"])
    await store.close()
    assert loaded is not None
    expected = dict(job, speed=0, eta=None, segments=[], state={})
    assert loaded == expected


async def test_save_job_upserts_by_id(store: Store) -> None:
    store.save_job(make_job(1, status="downloading", done=10, finished_at=None))
    store.save_job(make_job(1, status="completed", done=1001))
    page = await store.list_jobs(None, None, 10, None, "-created_at")
    assert page["total"] == 1
    assert page["jobs"][0]["status"] == "completed"
    assert page["jobs"][0]["done"] == 1001


async def test_later_changes_to_the_dict_are_not_written(store: Store) -> None:
    job = make_job(1, status="downloading")
    store.save_job(job)
    job["status"] = "failed"
    job["options"]["connections"] = 1
    loaded = await store.get_job(job["id"])
    assert loaded is not None
    assert loaded["status"] == "downloading"
    assert loaded["options"] == {"connections": 8}


async def test_checkpoint_then_reopen_resumes_from_it(db_path: Path) -> None:
    store = await Store.open(db_path)
    store.save_job(
        make_job(1, status="downloading", done=0, finished_at=None, segments=[[0, 3000, 0]])
    )
    store.save_job(make_job(2, status="completed"))
    store.save_job(make_job(3, status="paused", done=0, finished_at=None))
    store.checkpoint(
        "job00001", 1500, [[0, 1000, 1000], [1000, 3000, 500]], {"http": {"etag": '"v1"'}}
    )
    store.checkpoint(
        "job00001", 2000, [[0, 1000, 1000], [1000, 3000, 1000]], {"http": {"etag": '"v1"', "n": 2}}
    )
    await store.flush()
    await store.close()

    store = await Store.open(db_path)
    unfinished = await store.load_unfinished()
    await store.close()
    assert [job["id"] for job in unfinished] == ["job00001", "job00003"]
    first = unfinished[0]
    assert first["done"] == 2000
    assert first["segments"] == [[0, 1000, 1000], [1000, 3000, 1000]]
    assert first["state"] == {"http": {"etag": '"v1"', "n": 2}}
    assert unfinished[1]["segments"] == []
    assert unfinished[1]["state"] == {}
    # A finished job keeps what it had, so a retry can resume its part file.
    store = await Store.open(db_path)
    store.save_job(make_job(1, status="failed"))
    failed = await store.get_job("job00001")
    await store.close()
    assert failed is not None
    assert failed["state"] == {"http": {"etag": '"v1"', "n": 2}}
    assert failed["segments"] == [[0, 1000, 1000], [1000, 3000, 1000]]


async def test_checkpoint_of_an_unsaved_job_is_ignored_and_harms_nothing(store: Store) -> None:
    store.checkpoint("nope", 5, [[0, 10, 5]], {})
    store.save_job(make_job(1))
    await store.flush()
    assert await store.get_job("nope") is None
    assert await store.get_job("job00001") is not None


async def test_save_job_refuses_a_job_without_id_at_once(store: Store) -> None:
    with pytest.raises(ValueError, match="id"):
        store.save_job({"url": "http://a/b", "status": "queued", "created_at": "2026"})
    with pytest.raises(ValueError, match="segment"):
        store.save_job(make_job(1, segments=[[0, 1]]))


async def test_delete_jobs_forgets_jobs_and_segments(store: Store) -> None:
    store.save_job(make_job(1, status="paused", segments=[[0, 10, 5]]))
    store.save_job(make_job(2))
    await store.delete_jobs(["job00001", "missing"])
    assert await store.get_job("job00001") is None
    assert await store.load_unfinished() == []
    page = await store.list_jobs(None, "file-", 10, None, "-created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00002"]


async def test_closed_store_refuses_writes(db_path: Path) -> None:
    from idmd.store import StoreError

    store = await Store.open(db_path)
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        store.save_job(make_job(1))


async def test_a_write_sqlite_refuses_is_dropped_and_the_rest_committed(store: Store) -> None:
    from idmd.store import StoreError

    store.save_job(make_job(1))
    store.save_job(make_job(2, size=2**70))  # larger than SQLite's 64-bit integers
    store.save_job(make_job(3))
    with pytest.raises(StoreError):
        await store.flush()
    assert await store.get_job("job00001") is not None
    assert await store.get_job("job00002") is None
    store.save_job(make_job(4))
    await store.flush()
    assert [
        job["id"] for job in (await store.list_jobs(None, None, 10, None, "created_at"))["jobs"]
    ] == [
        "job00001",
        "job00003",
        "job00004",
    ]
