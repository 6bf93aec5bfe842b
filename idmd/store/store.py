"""``Store``: the daemon's history and resume data in SQLite, kept off the event loop.

Writes are queued and return at once (one writer thread commits them in
batches); ``flush`` waits until they are on disk. Reads run on a reader thread
with their own connection, which WAL lets proceed while the writer commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from idmd.protocol.jobs import FINISHED
from idmd.protocol.models import JobPage
from idmd.protocol.params import check_listing
from idmd.store import query as q
from idmd.store.listing import list_page
from idmd.store.rows import (
    SELECT_JOB,
    UPSERT_JOB,
    Segments,
    StoredJob,
    job_to_row,
    row_to_job,
    segments_to_rows,
    state_to_json,
    stored_job,
)
from idmd.store.saves import HeldSaves, Save, write_resume_data
from idmd.store.schema import StoreError, connect, describe
from idmd.store.writer import GATHER, Waiter, Writer

T = TypeVar("T")
_COLUMNS = SELECT_JOB.removeprefix("SELECT ")  # "id, url, ... FROM jobs"
_FINISHED = tuple(sorted(s.value for s in FINISHED))


class Store:
    """Use ``await Store.open(path)``; ``await store.close()`` when done."""

    def __init__(self, path: Path, writer: Writer, reader: sqlite3.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="idmd-store-reader")
        self._enqueued = 0  # writes queued so far
        self._flushed = 0  # of those, how many a completed flush covered
        self._closed = False
        self._held = HeldSaves()  # job saves merged for a moment (idmd.store.saves)
        self._release_timer: asyncio.TimerHandle | None = None

    @classmethod
    async def open(cls, path: Path, busy_timeout: float = 5.0) -> Store:
        """Open (or create) the database, bringing its schema up to date; raises StoreError.

        ``busy_timeout``: seconds a write waits for another process's lock before failing.
        """
        path = Path(path)

        def opening() -> tuple[sqlite3.Connection, sqlite3.Connection]:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the history database {path}: {exc}"
                ) from exc
            writing = connect(path, writer=True, busy_timeout=busy_timeout)
            try:
                return writing, connect(path, writer=False, busy_timeout=busy_timeout)
            except StoreError:
                writing.close()
                raise

        writing, reading = await asyncio.to_thread(opening)
        return cls(path, Writer(writing, path), reading)

    async def close(self) -> None:
        """Commit every queued write, then release the database."""
        if self._closed:
            return
        self._release_held()
        self._closed = True
        await asyncio.to_thread(self._writer.stop)
        await asyncio.get_running_loop().run_in_executor(self._reads, self._reader.close)
        self._reads.shutdown(wait=False)

    # -- writes: queued, return at once --------------------------------------------

    def _put(self, write: Callable[[sqlite3.Connection], None], after_held: bool = True) -> None:
        """Queue ``write``; ``after_held``: behind the saves held so far (a write that may touch
        their jobs must not overtake them)."""
        self._check_open()
        if after_held:
            self._release_held()
        self._enqueued += 1
        self._writer.put(write)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the history store is closed")

    def _hold(self, save: Save) -> None:
        self._check_open()
        if not self._held.save(save) or self._release_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a synchronous caller: no moment to wait for
            self._release_held()
            return
        self._release_timer = loop.call_later(GATHER, self._release_held)

    def _release_held(self) -> None:
        """Hand every held save to the writer, which commits them at once (they waited their
        gathering window here)."""
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        saves = self._held.take()
        for save in saves:
            self._enqueued += 1
            self._writer.put(save.write)
        if saves:
            self._writer.commit_now()

    def save_job(self, job: dict[str, Any]) -> None:
        """Insert or replace ``job`` (a Job dict); segments too when it carries them.

        The dict is converted now, so later changes to it by the caller do not leak
        into the write. Raises ValueError for a job without id, url, status or created_at.
        """
        row = job_to_row(job)
        job_id = row[0]
        segments = job.get("segments")
        segment_rows = segments_to_rows(job_id, segments) if segments is not None else None
        state = state_to_json(job["state"]) if isinstance(job.get("state"), dict) else None
        self._hold(Save(row, segment_rows, state))

    def checkpoint(self, job_id: str, done: int, segments: Segments, state: dict[str, Any]) -> None:
        """Record a job's progress and resume data (a job not saved yet is ignored)."""
        segment_rows = segments_to_rows(job_id, segments)
        state_json = state_to_json(state)
        done = int(done)
        self._check_open()
        if self._held.checkpoint(job_id, done, segment_rows, state_json):
            return

        def write(conn: sqlite3.Connection) -> None:
            updated = conn.execute(
                "UPDATE jobs SET done = ?, state = ? WHERE id = ?", (done, state_json, job_id)
            )
            if updated.rowcount:
                write_resume_data(conn, job_id, segment_rows, None)

        self._put(write, after_held=False)  # its job has no save held: nothing to overtake

    async def flush(self) -> None:
        """Wait until every write queued so far is committed; raises StoreError if one failed."""
        if self._closed:
            return
        self._release_held()
        target = self._enqueued
        loop = asyncio.get_running_loop()
        waiter = Waiter(loop, loop.create_future())
        self._writer.put(waiter)
        try:
            await waiter.future
        finally:
            self._flushed = max(self._flushed, target)

    async def delete_jobs(self, ids: list[str]) -> None:
        """Forget these jobs and their segments (files on disk are the engine's business)."""
        ids = list(ids)
        if not ids:
            return

        def write(conn: sqlite3.Connection) -> None:
            for start in range(0, len(ids), 500):  # stay under SQLite's parameter limit
                chunk = ids[start : start + 500]
                conn.execute(f"DELETE FROM jobs WHERE id IN ({', '.join('?' * len(chunk))})", chunk)

        self._put(write)
        await self.flush()

    # -- reads: on the reader thread, after this task's own writes -------------------

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("the history store is closed")
        if self._enqueued > self._flushed or self._held:
            # Read your own writes: a job saved a moment ago is listed.
            try:
                await self.flush()
            except StoreError:
                pass  # the failed write was logged; what did commit is still worth reading

        def run() -> T:
            try:
                return work(self._reader)
            except sqlite3.Error as exc:
                raise StoreError(describe(exc, self.path)) from exc
            except ValueError as exc:  # a row whose JSON was damaged outside idmd
                raise StoreError(
                    f"unreadable row in the history database {self.path}: {exc}"
                ) from exc

        return await asyncio.get_running_loop().run_in_executor(self._reads, run)

    async def get_job(self, job_id: str) -> StoredJob | None:
        """The Job with ``segments`` and ``state`` (the engine's, not for clients), or None."""

        def read(conn: sqlite3.Connection) -> StoredJob | None:
            row = conn.execute(f"SELECT state, {_COLUMNS} WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job = stored_job(row_to_job(row[1:]), row[0])
            job["segments"] = _segments(conn, [job_id]).get(job_id, [])
            return job

        return await self._read(read)

    async def ids_starting(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` job ids that start with ``prefix`` (hex digits), in order.

        GLOB with a constant prefix walks the primary key's index, so this stays quick
        in a long history."""
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            return []

        def read(conn: sqlite3.Connection) -> list[str]:
            sql = "SELECT id FROM jobs WHERE id GLOB ? ORDER BY id LIMIT ?"
            return [row[0] for row in conn.execute(sql, (prefix + "*", limit))]

        return await self._read(read)

    async def load_unfinished(self) -> list[StoredJob]:
        """Jobs not completed, failed or cancelled,
        oldest first, with ``segments`` and ``state``."""
        marks = ", ".join("?" * len(_FINISHED))
        return await self._load_where(f"status NOT IN ({marks})", _FINISHED)

    async def load_retrying(self) -> list[StoredJob]:
        """Failed jobs waiting for an automatic retry
        (``retry_at`` set), like ``load_unfinished``."""
        return await self._load_where(
            "status = 'failed' AND json_extract(extra, '$.retry_at') IS NOT NULL", ()
        )

    async def _load_where(self, where: str, args: tuple[str, ...]) -> list[StoredJob]:
        def read(conn: sqlite3.Connection) -> list[StoredJob]:
            rows = conn.execute(
                f"SELECT state, {_COLUMNS} WHERE {where} ORDER BY created_at, id", args
            ).fetchall()
            jobs = [stored_job(row_to_job(rest), state) for state, *rest in rows]
            segments = _segments(conn, [job["id"] for job in jobs])
            for job in jobs:
                job["segments"] = segments.get(job["id"], [])
            return jobs

        return await self._read(read)

    async def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` the history holds."""

        def read(conn: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                sql = f"SELECT id FROM jobs WHERE id IN ({', '.join('?' * len(chunk))})"
                found.update(row[0] for row in conn.execute(sql, chunk))
            return found

        return await self._read(read)

    async def insert_jobs(self, jobs: list[dict[str, Any]]) -> None:
        """Store every job of ``jobs`` in one transaction, all or none (an import); raises
        ValueError for a job that cannot be a row, StoreError when the write fails."""
        rows = [job_to_row(job) for job in jobs]

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(UPSERT_JOB, rows)

        self._put(write)
        await self.flush()

    async def list_jobs(
        self,
        status: list[str] | None = None,
        query: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: str = "-created_at",
    ) -> JobPage:
        """One page of history: {jobs (without segments), total, cursor of the next page or None}.

        ``total`` counts every match, except that a text search stops counting at
        10,000 and then adds ``total_capped: true`` (counting 100,000 matches
        would cost more than the page). Raises InvalidParams for an
        unknown status or order, a bad limit or a foreign cursor.
        """
        listing = check_listing(status, query, limit, cursor, order)
        selection = q.Filter.of(list(listing.statuses), listing.query)
        limit = listing.limit
        sort = q.parse_order(listing.order)
        after = q.decode_cursor(cursor, sort) if cursor else None

        def read(conn: sqlite3.Connection) -> JobPage:
            page = list_page(conn, selection, sort, after, limit)
            jobs = [row_to_job(row) for row in page.rows[:limit]]
            next_cursor = None
            if len(page.rows) > limit:
                last = jobs[-1]
                key = cast(Mapping[str, Any], last)[sort.key]  # one of ORDER_KEYS, a Job field
                next_cursor = q.encode_cursor(sort, key or "", last["id"])
            result: JobPage = {"jobs": jobs, "total": page.total, "cursor": next_cursor}
            if page.capped:
                result["total_capped"] = True
            return result

        return await self._read(read)


def _segments(conn: sqlite3.Connection, ids: list[str]) -> dict[str, Segments]:
    found: dict[str, Segments] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            'SELECT job_id, start, "end", done FROM segments '
            f"WHERE job_id IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY job_id, idx",
            chunk,
        )
        for job_id, begin, end, done in rows:
            found.setdefault(job_id, []).append([begin, end, done])
    return found
