"""Opening: WAL, forward migrations, and clear errors for files idmd cannot use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from idmd.store import Store, StoreError
from idmd.store.schema import MIGRATIONS, VERSION, migrate


async def test_new_database_is_wal_at_the_latest_version(store: Store, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    conn.close()


async def test_older_database_is_migrated_and_keeps_its_jobs(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, db_path, MIGRATIONS[:1])
    conn.execute(
        "INSERT INTO jobs (id, url, status, filename, created_at, finished_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            "old1",
            "https://old.example/archive.tar",
            "completed",
            "archive.tar",
            "2025-01-01T00:00:00Z",
            "",
        ),
    )
    conn.close()

    store = await Store.open(db_path)
    page = await store.list_jobs(None, "archive", 10, None, "-created_at")
    await store.close()
    assert [job["id"] for job in page["jobs"]] == ["old1"]
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    conn.close()


async def test_a_failed_migration_step_leaves_the_previous_version(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    with pytest.raises(sqlite3.Error):
        migrate(conn, db_path, [*MIGRATIONS, "CREATE TABLE extra (x); SELECT no_such_function();"])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").fetchone()[0] == 0
    )
    conn.close()


async def test_database_from_a_newer_idm_is_refused(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        await Store.open(db_path)


async def test_corrupt_file_gives_a_clear_error(db_path: Path) -> None:
    db_path.write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(StoreError, match="corrupt") as raised:
        await Store.open(db_path)
    assert str(db_path) in str(raised.value)


async def test_locked_database_fails_the_flush_clearly_then_recovers(db_path: Path) -> None:
    from tests.store.conftest import make_job

    store = await Store.open(db_path, busy_timeout=0.2)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    store.save_job(make_job(1))
    with pytest.raises(StoreError, match="locked"):
        await store.flush()
    other.execute("ROLLBACK")
    other.close()
    store.save_job(make_job(2))
    await store.flush()
    assert await store.get_job("job00002") is not None
    await store.close()
