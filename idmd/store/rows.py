"""Job dicts to table rows and back: pure, no SQLite connection needed.

Conversions happen on the caller's side of the queue, so the writer thread
never sees a dict that the engine is still changing.
"""

from __future__ import annotations

import json
from typing import Any, cast

from idmd.protocol.models import Job

# The Job fields kept in columns, in the order of JOB_COLUMNS' placeholders.
JOB_COLUMNS = (
    "id",
    "url",
    "kind",
    "status",
    "filename",
    "path",
    "size",
    "done",
    "connections",
    "created_at",
    "started_at",
    "finished_at",
    "options",
    "error",
    "media",
    "extra",
)
# Live numbers that mean nothing once the daemon is gone; a stored job reads
# back with speed 0 and no eta.
_TRANSIENT = frozenset({"speed", "eta", "segments", "state"})
_JSON_COLUMNS = frozenset({"options", "error", "media"})
_COLUMNS_AND_TRANSIENT = frozenset(JOB_COLUMNS) | _TRANSIENT  # the rest goes to "extra"

UPSERT_JOB = (
    f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({', '.join('?' * len(JOB_COLUMNS))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in JOB_COLUMNS if name != "id")
)
SELECT_JOB = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs"

Segments = list[list[int]]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json_column(value: Any) -> str:
    """``_dumps`` with the values most columns hold (nothing, or an empty dict) spelled out:
    a job is saved at each change, and these would otherwise cost an encoder run each."""
    if value is None:
        return "null"
    if not value and isinstance(value, dict):
        return "{}"
    return _dumps(value)


def job_to_row(job: dict[str, Any]) -> tuple[Any, ...]:
    """The column values for ``job``; raises ValueError for a job without id, url or status."""
    for key in ("id", "url", "status", "created_at"):
        if not isinstance(job.get(key), str) or not job[key]:
            raise ValueError(f"a stored job needs a non-empty string {key!r}")
    extra = {k: v for k, v in job.items() if k not in _COLUMNS_AND_TRANSIENT}
    get = job.get
    return (
        job["id"],
        job["url"],
        get("kind") or "http",
        job["status"],
        get("filename") or "",
        get("path"),
        get("size"),
        int(get("done") or 0),
        get("connections"),
        job["created_at"],
        get("started_at"),
        get("finished_at") or "",
        _json_column(get("options") or {}),
        _json_column(get("error")),
        _json_column(get("media")),
        _json_column(extra),
    )


def row_to_job(row: tuple[Any, ...] | Any) -> Job:
    """A Job dict from a row selected with SELECT_JOB (no segments, no state)."""
    job: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in zip(JOB_COLUMNS, row, strict=True):
        if name == "extra":
            extra = json.loads(value) if value else {}
        elif name in _JSON_COLUMNS:
            job[name] = json.loads(value) if value is not None else None
        elif name == "finished_at":
            job[name] = value or None
        else:
            job[name] = value
    job["speed"] = 0
    job["eta"] = None
    job.update(extra)
    return cast(Job, job)  # the columns are a Job's fields, written by job_to_row


class StoredJob(Job):
    """A Job as the engine reads it back: with the runners' private resume ``state``."""

    state: dict[str, Any]


def stored_job(job: Job, state: str | None) -> StoredJob:
    return {**job, "state": json.loads(state) if state else {}}


def segments_to_rows(job_id: str, segments: Segments) -> list[tuple[str, int, int, int, int]]:
    """Rows for the segments table; raises ValueError
    for a segment that is not [start, end, done]."""
    rows = []
    for index, segment in enumerate(segments):
        if len(segment) != 3:
            raise ValueError(f"a segment is [start, end, done], not {segment!r}")
        start, end, done = (int(v) for v in segment)
        rows.append((job_id, index, start, end, done))
    return rows


def state_to_json(state: dict[str, Any]) -> str:
    return _dumps(state)
