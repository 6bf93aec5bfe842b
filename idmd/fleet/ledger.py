"""The fleet's job records in the KV bucket, each change a compare-and-set.

``change(id, transition)`` reads the record and its revision, asks the pure
transition of ``idmd.fleet.record`` for the next record and writes it only if
the revision is still the one read (``update(..., last=rev)``); when another
node wrote first it reads again and asks again, so every transition is judged
on the newest record and a job completes exactly once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from idmd.fleet.link import Link
from idmd.fleet.record import Record

Transition = Callable[[Record], Record | None]


class Entry(NamedTuple):
    """A record as the bucket holds it: its revision, and when it was written (Unix time)."""

    record: Record
    revision: int
    written: float


READ_WAIT = 10.0  # seconds ``entries`` waits for the next record before giving up
ATTEMPTS = 20  # compare-and-set rounds before giving up (each lost round means another node wrote)


class Ledger:
    def __init__(self, link: Link) -> None:
        self._link = link

    def _bucket(self) -> KeyValue:
        kv = self._link.kv
        if kv is None:
            raise ConnectionError("the fleet is not connected")
        return kv

    async def create(self, record: Record) -> None:
        await self._bucket().create(record["id"], _encode(record))

    async def read(self, job_id: str) -> tuple[Record, int] | None:
        try:
            entry = await self._bucket().get(job_id)
        except KeyNotFoundError:
            return None
        if entry.value is None or entry.revision is None:
            return None
        return json.loads(entry.value), entry.revision

    async def change(self, job_id: str, transition: Transition) -> Record | None:
        """Apply ``transition`` with compare-and-set;
        the new record, or None if it did not apply."""
        kv = self._bucket()
        for _ in range(ATTEMPTS):
            found = await self.read(job_id)
            if found is None:
                return None
            record, revision = found
            new = transition(record)
            if new is None:
                return None
            try:
                await kv.update(job_id, _encode(new), last=revision)
                return new
            except KeyWrongLastSequenceError:
                continue  # another node wrote in between: judge again on its record
        raise ConnectionError(f"job {job_id}: the fleet record kept changing")

    async def purge(self, job_id: str) -> None:
        """The record is gone from the bucket, leaving nothing behind: a KV delete or purge
        would leave a marker per job, so the bucket would still grow with every job."""
        js, bucket = self._link.js, self._link.names.bucket
        if js is None:
            raise ConnectionError("the fleet is not connected")
        await js.purge_stream(f"KV_{bucket}", subject=f"$KV.{bucket}.{job_id}")

    async def entries(self) -> list[Entry]:
        """Every record, its revision and when it was written, read in one pass (a watcher over
        the bucket). The watcher can hand the same entry twice, or a key's older and newer
        revision while records change: one entry per key, its newest (seen in
        tests/fleet/test_sweep.py under load)."""
        watcher = await self._bucket().watchall(ignore_deletes=True)
        found: dict[str, Entry] = {}
        try:
            while True:
                entry = await watcher.updates(timeout=READ_WAIT)  # nats' TimeoutError if slow
                if entry is None:  # the end of what the bucket holds now
                    return list(found.values())
                if entry.value and entry.revision is not None:
                    known = found.get(entry.key)
                    if known is None or known.revision < entry.revision:
                        # ``created``: the server's time of the write (a datetime, typed int);
                        # unknown, it counts as new (never purged for its age).
                        written: Any = entry.created
                        at = written.timestamp() if isinstance(written, datetime) else time.time()
                        found[entry.key] = Entry(json.loads(entry.value), entry.revision, at)
        finally:
            await watcher.stop()


def _encode(record: Record) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode()
