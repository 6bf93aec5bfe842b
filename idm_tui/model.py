"""The job table's state: a pure model that applies the daemon's snapshot and events.

It knows nothing of Textual or sockets: the screen feeds it what the client
yields and asks which rows changed, so bursts of progress become one repaint.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from idm_tui.history import SpeedHistory
from idmd.protocol.jobs import FINISHED, Status
from idmd.protocol.models import Job, merge

LOG_LINES = 200  # per job: enough for the details view, bounded for 1,000 jobs


class View(StrEnum):
    """The tabs of the main screen."""

    ALL = "all"
    ACTIVE = "active"
    QUEUED = "queued"
    COMPLETED = "completed"
    FAILED = "failed"


VIEW_STATUSES: dict[View, frozenset[str] | None] = {
    View.ALL: None,
    View.ACTIVE: frozenset({Status.DOWNLOADING, Status.WAITING}),
    View.QUEUED: frozenset({Status.QUEUED, Status.PAUSED}),
    View.COMPLETED: frozenset({Status.COMPLETED}),
    View.FAILED: frozenset({Status.FAILED, Status.CANCELLED}),
}

_PROGRESS_FIELDS = ("done", "size", "speed", "eta", "connections", "segments")


@dataclass
class Change:
    """What one event changed, so the screen repaints no more than that."""

    rows: set[str] = field(default_factory=set)  # jobs whose cells changed
    structure: bool = False  # rows added/removed or moved between tabs
    stats: bool = False
    waiting: set[str] = field(default_factory=set)  # jobs waiting on a duplicate decision
    pairing: dict[str, Any] | None = None  # a pairing request: {name, code, ...}
    log: str | None = None  # a job that got a log line
    paired: str | None = None  # a pairing code approved (by anyone)

    def merge(self, other: Change) -> None:
        self.rows |= other.rows
        self.structure = self.structure or other.structure
        self.stats = self.stats or other.stats
        self.waiting |= other.waiting
        self.pairing = other.pairing or self.pairing
        self.log = other.log or self.log
        self.paired = other.paired or self.paired


class ShownJob(Job, total=False):
    """A Job as the TUI holds it: with the ``job.duplicate`` data while it waits for a decision,
    and in a fleet the node its last status or progress event came from (the one running it)."""

    duplicate: dict[str, Any]
    node: str


class JobModel:
    """Every job the TUI knows of, newest first, and the daemon's totals."""

    def __init__(self) -> None:
        self.jobs: dict[str, ShownJob] = {}
        self.logs: dict[str, deque[str]] = {}
        self.speeds: dict[str, SpeedHistory] = {}
        self.stats: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.seq = 0

    # -- feeding -------------------------------------------------------------------

    def apply_snapshot(
        self, jobs: Iterable[Job], seq: int | None = None, reset: bool = True
    ) -> Change:
        """Take the daemon's current state.

        Unfinished jobs missing from the snapshot are gone; finished ones stay,
        because the snapshot carries only the recent part of the history.
        """
        incoming = {str(job["id"]): job for job in jobs if "id" in job}
        for job_id in list(self.jobs):
            if job_id not in incoming and self.jobs[job_id].get("status") not in FINISHED:
                self._forget(job_id)
        for job_id, job in incoming.items():
            self._merge(job_id, job)
        if seq is not None:
            self.seq = int(seq)  # even when lower: a restarted daemon counts from 0 again
        waiting = {
            job_id for job_id, job in incoming.items() if job.get("status") == Status.WAITING
        }
        return Change(rows=set(incoming), structure=True, stats=True, waiting=waiting)

    def add_history(self, jobs: Iterable[Job]) -> Change:
        """Merge jobs read from ``jobs.list`` without overwriting fresher live state."""
        change = Change()
        for job in jobs:
            job_id = str(job.get("id"))
            if job_id not in self.jobs:
                self._merge(job_id, job)
                change.rows.add(job_id)
                change.structure = True
        return change

    def apply_event(self, event: dict[str, Any]) -> Change:
        """Apply one event dict ``{seq, type, job, at, data}``; returns what changed."""
        seq = int(event.get("seq") or 0)
        if seq and seq <= self.seq:
            return Change()  # a replayed event already applied
        if seq:
            self.seq = seq
        kind = event.get("type")
        job_id = event.get("job")
        data = event.get("data") or {}
        handler = _HANDLERS.get(str(kind))
        if handler is None:
            return Change()
        job_id = None if job_id is None else str(job_id)
        change = handler(self, job_id, data, float(event.get("at") or 0.0))
        node = event.get("node")  # in a fleet: the node the event comes from
        if node and kind in _RUNNER_EVENTS and job_id in self.jobs:
            job = self.jobs[job_id]
            if job.get("node") != node:
                job["node"] = str(node)
                change.rows.add(job_id)
        return change

    def _job_added(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        job_id = job_id or str(data.get("id"))
        self._merge(job_id, {**data, "id": job_id})
        return Change(rows={job_id}, structure=True)

    def _job_updated(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        if job_id not in self.jobs:
            return Change()
        job = self.jobs[job_id]
        moved = "status" in data and data["status"] != job.get("status")
        merge(job, data)
        return Change(rows={job_id}, structure=moved)

    def _job_status(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        if job_id not in self.jobs:
            return Change()
        job = self.jobs[job_id]
        merge(job, data)
        if data.get("status") != Status.DOWNLOADING:
            job["speed"] = 0
            job["eta"] = None
        change = Change(rows={job_id}, structure=True)
        if data.get("status") == Status.WAITING:
            change.waiting.add(job_id)
        return change

    def _job_progress(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        if job_id not in self.jobs:
            return Change()
        job = self.jobs[job_id]
        merge(job, {key: data[key] for key in _PROGRESS_FIELDS if key in data})
        if "speed" in data:
            history = self.speeds.get(job_id)
            if history is None:
                history = self.speeds[job_id] = SpeedHistory()
            history.add(at, data["speed"] or 0)
        return Change(rows={job_id})

    def _job_duplicate(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        if job_id not in self.jobs:
            return Change()
        self.jobs[job_id]["duplicate"] = data
        return Change(rows={job_id}, waiting={job_id})

    def _job_removed(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        if job_id not in self.jobs:
            return Change()
        self._forget(job_id)
        return Change(rows={job_id}, structure=True)

    def _job_log(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        if job_id is None:
            return Change()
        level = str(data.get("level", "info"))
        line = f"{level:<7} {data.get('message', '')}"
        self.logs.setdefault(job_id, deque(maxlen=LOG_LINES)).append(line)
        return Change(log=job_id)

    def _stats(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        self.stats = dict(data)
        return Change(stats=True)

    def _pairing(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        return Change(pairing=dict(data))

    def _paired(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        return Change(paired=str(data.get("code", "")))

    def _config(self, job_id: str | None, data: dict[str, Any], at: float) -> Change:
        self.config.update(data)
        return Change(stats=True)

    def _merge(self, job_id: str, fields: Mapping[str, Any]) -> None:
        """A new Job, or newer fields over the one held (a snapshot, an added job)."""
        known = self.jobs.get(job_id)
        if known is None:
            self.jobs[job_id] = cast(ShownJob, dict(fields))  # a Job from the daemon
        else:
            merge(known, fields)

    def _forget(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)
        self.logs.pop(job_id, None)
        self.speeds.pop(job_id, None)

    # -- reading -------------------------------------------------------------------

    def visible(self, view: View) -> list[str]:
        """The ids shown under ``view``, newest first."""
        statuses = VIEW_STATUSES[view]
        ids = [
            job_id
            for job_id, job in self.jobs.items()
            if statuses is None or job.get("status") in statuses
        ]
        ids.sort(key=lambda job_id: str(self.jobs[job_id].get("created_at") or ""), reverse=True)
        return ids

    def counts(self) -> dict[str, int]:
        """Active and queued counts, from the daemon's stats when it sent them."""
        active = sum(1 for job in self.jobs.values() if job.get("status") == Status.DOWNLOADING)
        queued = sum(1 for job in self.jobs.values() if job.get("status") == Status.QUEUED)
        return {
            "active": int(self.stats.get("active", active)),
            "queued": int(self.stats.get("queued", queued)),
        }

    def total_speed(self) -> float:
        if "speed" in self.stats:
            return float(self.stats["speed"] or 0)
        return float(sum(job.get("speed") or 0 for job in self.jobs.values()))


# Events that come from the node running the job (a job is added on one node, run on another).
_RUNNER_EVENTS = frozenset({"job.added", "job.status", "job.progress"})

_HANDLERS = {
    "job.added": JobModel._job_added,
    "job.updated": JobModel._job_updated,
    "job.status": JobModel._job_status,
    "job.progress": JobModel._job_progress,
    "job.duplicate": JobModel._job_duplicate,
    "job.removed": JobModel._job_removed,
    "job.log": JobModel._job_log,
    "stats": JobModel._stats,
    "pairing.requested": JobModel._pairing,
    "pairing.approved": JobModel._paired,
    "config.changed": JobModel._config,
}
