"""A job's saves and checkpoints that come moments apart, merged into one write.

A small download changes its job four or five times within a few
milliseconds (started, named, checkpointed, completed). Each save is an
upsert that rewrites the jobs table's indexes and its full-text index, and
each statement hands the GIL back and forth between the writer thread and the
event loop. Held for the writer's gathering window, they reach SQLite as one
upsert of the job's last state. Rows are converted when saved (a later change
to the caller's dict is not written); only the write is later, by at most that
window, which the store's flush and reads cut short.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from idmd.store.rows import JOB_COLUMNS, UPSERT_JOB

INSERT_SEGMENT = 'INSERT INTO segments (job_id, idx, start, "end", done) VALUES (?, ?, ?, ?, ?)'
SegmentRow = tuple[str, int, int, int, int]
_DONE = JOB_COLUMNS.index("done")


@dataclass
class Save:
    """One job's row, with its segments and resume state when the save carried them."""

    row: tuple[Any, ...]
    segments: list[SegmentRow] | None = None
    state: str | None = None

    @property
    def job_id(self) -> str:
        return str(self.row[0])

    def write(self, conn: sqlite3.Connection) -> None:
        conn.execute(UPSERT_JOB, self.row)
        write_resume_data(conn, self.job_id, self.segments, self.state)


def write_resume_data(
    conn: sqlite3.Connection, job_id: str, segments: list[SegmentRow] | None, state: str | None
) -> None:
    if segments is not None:
        conn.execute("DELETE FROM segments WHERE job_id = ?", (job_id,))
        conn.executemany(INSERT_SEGMENT, segments)
    if state is not None:
        conn.execute("UPDATE jobs SET state = ? WHERE id = ?", (state, job_id))


class HeldSaves:
    """The saves not yet handed to the writer, one per job, in the order first held."""

    def __init__(self) -> None:
        self._held: dict[str, Save] = {}

    def __bool__(self) -> bool:
        return bool(self._held)

    def save(self, save: Save) -> bool:
        """Hold ``save``, merged into the job's held one; True when none was held (the caller
        arranges for the release)."""
        held = self._held.get(save.job_id)
        if held is None:
            self._held[save.job_id] = save
            return True
        held.row = save.row
        if save.segments is not None:
            held.segments = save.segments
        if save.state is not None:
            held.state = save.state
        return False

    def checkpoint(self, job_id: str, done: int, segments: list[SegmentRow], state: str) -> bool:
        """Merge a checkpoint into the job's held save; False when none is held (the checkpoint
        is then written on its own)."""
        held = self._held.get(job_id)
        if held is None:
            return False
        held.row = (*held.row[:_DONE], done, *held.row[_DONE + 1 :])
        held.segments, held.state = segments, state
        return True

    def take(self) -> list[Save]:
        """Every held save, now to be written; none is held afterwards."""
        saves, self._held = list(self._held.values()), {}
        return saves
