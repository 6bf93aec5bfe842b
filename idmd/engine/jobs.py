"""The in-memory Job record the engine mutates, and its protocol dict.

One ``Job`` per download; ``to_dict`` gives exactly the Job fields of docs/protocol.md.
``state`` is the runners' private resume data (never sent to clients).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from idmd.core.segments import Segment, from_lists, total_done
from idmd.protocol.jobs import Status
from idmd.protocol.models import Job as JobDict
from idmd.protocol.models import JobError, JobOptions, Media, PlaylistEntry
from idmd.protocol.options import public


# Microseconds: jobs added in one call (add_many) list in the order they were added.
def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    return secrets.token_hex(6)


@dataclass
class Job:
    id: str
    url: str
    options: JobOptions
    kind: str = "http"
    status: Status = Status.QUEUED
    filename: str = ""
    path: str | None = None
    size: int | None = None
    done: int = 0
    speed: float = 0.0
    eta: float | None = None
    connections: int = 0
    segments: list[Segment] = field(default_factory=list)
    error: JobError | None = None
    created_at: str = field(default_factory=now_iso)
    started_at: str | None = None
    finished_at: str | None = None
    media: Media | None = None
    playlist: PlaylistEntry | None = None
    note: str = (
        ""  # how it ended without an error (a skipped duplicate); shown, stored in ``extra``
    )
    category: str = ""  # decided when the file's name and type are known; stored in ``extra``
    retry_at: str | None = (
        None  # a failed job's next automatic attempt (retry_later.py); stored in ``extra``
    )
    auto_retries: int = 0  # automatic attempts since the last failure a person saw to
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        return int(self.options.get("priority") or 0)

    @property
    def queue_name(self) -> str:
        """The named queue the job waits in (idmd/protocol/schedule.py; none: ``default``)."""
        return str(self.options.get("queue") or "default")

    @property
    def start_group(self) -> str:
        """Where the job waits in the start order: its queue, and its start time if it has one
        (``idmd.engine.gate.split_group`` takes them apart for the gate)."""
        at = self.options.get("start_at")
        return f"{self.queue_name}@{at}" if at else self.queue_name

    @property
    def download_dir(self) -> Path | None:
        folder = self.options.get("dir")  # absolute: the RPC edge refuses relative folders and ~
        return Path(folder) if folder else None

    def segment_lists(self) -> list[list[int]]:
        return [s.as_list() for s in self.segments]

    def mark_complete(self) -> None:
        """The file is whole: every segment done, so the history says 100% after a restart."""
        for segment in self.segments:
            segment.done = segment.end - segment.start
        if self.size is not None:
            self.done = self.size

    def refresh_done(self) -> None:
        if self.segments:
            self.done = total_done(self.segments)

    def to_dict(self, segments: bool = True) -> JobDict:
        data: JobDict = {
            "id": self.id,
            "url": self.url,
            "kind": self.kind,
            "status": str(self.status),
            "filename": self.filename,
            "path": self.path,
            "size": self.size,
            "done": self.done,
            "speed": round(self.speed),
            "eta": None if self.eta is None else round(self.eta, 1),
            "connections": self.connections,
            "segments": self.segment_lists() if segments else [],
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "options": public(self.options),  # the password stays in this process
            "media": self.media,
        }
        if self.playlist is not None:
            data["playlist"] = self.playlist
        if self.note:
            data["note"] = self.note
        if self.category:
            data["category"] = self.category
        if self.retry_at is not None:
            data["retry_at"] = self.retry_at
        if self.auto_retries:
            data["auto_retries"] = self.auto_retries
        return data

    def to_store(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.to_dict(segments=False))
        data.pop("segments")
        return data

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> Job:
        """A Job from ``Store.load_unfinished``/``get_job``; unknown keys are ignored."""
        try:
            segments = from_lists(data.get("segments") or [])
        except (ValueError, TypeError, IndexError):
            segments = []
        job = cls(
            id=str(data["id"]),
            url=str(data["url"]),
            options=cast(JobOptions, dict(data.get("options") or {})),  # checked when added
            kind=str(data.get("kind") or "http"),
            status=Status(data.get("status") or "queued"),
            filename=str(data.get("filename") or ""),
            path=data.get("path"),
            size=data.get("size"),
            done=int(data.get("done") or 0),
            connections=0,
            segments=segments,
            error=data.get("error"),
            created_at=str(data.get("created_at") or now_iso()),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            media=data.get("media"),
            playlist=data.get("playlist"),
            note=str(data.get("note") or ""),
            category=str(data.get("category") or ""),
            retry_at=data.get("retry_at"),
            auto_retries=int(data.get("auto_retries") or 0),
            state=dict(data.get("state") or {}),
        )
        job.refresh_done()
        return job
