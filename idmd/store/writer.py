"""The store's one writer thread: queued writes applied in batched transactions.

The event loop only enqueues; this thread owns the writing connection, takes
everything queued so far, commits it as one transaction, then wakes whoever
awaits a flush. A bad write is dropped and logged; it never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from idmd.store.schema import StoreError, describe

log = logging.getLogger(__name__)

Write = Callable[[sqlite3.Connection], None]
# Enough to commit a burst in a few transactions; small enough that a flush
# queued behind a flood is not kept waiting for one huge transaction.
MAX_BATCH = 5000
# Group commit: writes that come while a commit gathers join it. Each commit of WAL
# with ``synchronous = FULL`` is an fsync and rewrites the index pages it touches;
# many small downloads finishing a few ms apart would otherwise each pay both.
# A flush (someone awaits the disk) or a stop commits at once; a crash loses at
# most this much more of the history than before (the checkpoints still never
# claim more than is on disk: only their age grows).
GATHER = 0.02


@dataclass
class Waiter:
    """A flush: resolved once every write queued before it is committed (or failed)."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]

    def resolve(self, error: str | None) -> None:
        def done() -> None:
            if self.future.done():
                return
            if error is None:
                self.future.set_result(None)
            else:
                self.future.set_exception(StoreError(error))

        try:
            self.loop.call_soon_threadsafe(done)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


_STOP = object()


class Writer:
    def __init__(self, conn: sqlite3.Connection, path: Path, gather: float = GATHER) -> None:
        self._conn = conn
        self._path = path
        self._gather = gather
        self._urgent = threading.Event()  # a flush or a stop is queued: commit now
        self._queue: queue.SimpleQueue[Write | Waiter | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="idmd-store-writer", daemon=True)
        self._thread.start()

    def put(self, item: Write | Waiter) -> None:
        self._queue.put(item)
        if isinstance(item, Waiter):
            self._urgent.set()

    def commit_now(self) -> None:
        """Commit what is queued without waiting out the gathering window (it was waited)."""
        self._urgent.set()

    def stop(self) -> None:
        """Blocking: commit what is queued, end the thread, close the connection."""
        self._queue.put(_STOP)
        self._urgent.set()
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = self._take()
            writes: list[Write] = [
                item for item in batch if callable(item) and not isinstance(item, Waiter)
            ]
            waiters = [item for item in batch if isinstance(item, Waiter)]
            stopping = any(item is _STOP for item in batch)
            try:
                error = self._apply(writes) if writes else None
            except Exception as exc:  # e.g. ROLLBACK on a broken connection: keep serving
                log.exception("history writer failed")
                error = f"history write failed: {exc}"
            for waiter in waiters:
                waiter.resolve(error)

    def _take(self) -> list[Write | Waiter | object]:
        """The next batch: the first item, and what comes within ``gather`` seconds of it
        (cut short by a flush or a stop: someone waits), up to MAX_BATCH. Waiting on an event
        rather than on the queue: a plain write does not wake this thread."""
        first = self._queue.get()
        if self._gather > 0 and not (isinstance(first, Waiter) or first is _STOP):
            self._urgent.wait(self._gather)
        self._urgent.clear()  # before draining: a flush queued from now on is seen next round
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _apply(self, writes: list[Write]) -> str | None:
        """Commit ``writes`` in one transaction; on
        failure, one by one. Returns an error or None."""
        try:
            self._transaction(writes)
            return None
        except Exception as exc:  # noqa: BLE001 - a bad write is dropped, never fatal
            first = exc
        if len(writes) > 1:
            # Find the bad write(s); the rest still get committed.
            failed = 0
            for write in writes:
                try:
                    self._transaction([write])
                except Exception as exc:  # noqa: BLE001 - as above
                    failed += 1
                    first = exc
            if not failed:
                return None
        message = describe(first, self._path) if isinstance(first, sqlite3.Error) else str(first)
        log.error("history write failed, dropped: %s", message)
        return message

    def _transaction(self, writes: list[Write]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for write in writes:
                write(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
