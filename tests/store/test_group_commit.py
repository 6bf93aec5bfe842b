"""Group commit: writes that come close together share one transaction (one WAL fsync),
and whoever awaits a flush or a stop is not kept waiting for the gathering window."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from idmd.store.schema import connect
from idmd.store.writer import Waiter, Write, Writer


def _writer(db_path: Path, gather: float) -> tuple[Writer, list[str]]:
    conn = connect(db_path, writer=True)
    conn.execute("CREATE TABLE t (n INTEGER)")
    commits: list[str] = []
    conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    return Writer(conn, db_path, gather=gather), commits


def _insert(n: int) -> Write:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (?)", (n,))

    return write


async def test_writes_queued_together_are_one_commit_and_a_flush_does_not_wait(
    db_path: Path,
) -> None:
    writer, commits = _writer(db_path, gather=60.0)  # a window no test would sit out
    try:
        for n in range(50):
            writer.put(_insert(n))
        loop = asyncio.get_running_loop()
        waiter = Waiter(loop, loop.create_future())
        writer.put(waiter)
        await asyncio.wait_for(waiter.future, 20)  # the flush cuts the window short
        assert commits == ["COMMIT"]
        reader = sqlite3.connect(db_path)
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (50,)
        reader.close()
    finally:
        await asyncio.wait_for(asyncio.to_thread(writer.stop), 20)


async def test_stop_commits_what_is_gathering_at_once(db_path: Path) -> None:
    writer, commits = _writer(db_path, gather=60.0)
    writer.put(_insert(1))
    await asyncio.wait_for(asyncio.to_thread(writer.stop), 20)
    assert commits == ["COMMIT"]
    reader = sqlite3.connect(db_path)
    assert reader.execute("SELECT n FROM t").fetchall() == [(1,)]
    reader.close()
